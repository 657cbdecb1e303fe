// A stand-in for Jenkins: runs one vars/ step of the library outside Jenkins, with the pipeline steps it uses
// (sh, withCredentials, usernamePassword, error, echo, readFile, writeFile, env) bound to local implementations.
//
//   groovy jenkins/test/harness.groovy <step> '<json args>'
//
// Prints `RESULT <json>` when the step returns, `ERROR <message>` (exit code 1) when it called error().
// withCredentials sets the username/password variables from HARNESS_USERNAME / HARNESS_PASSWORD.
// Everything else the step prints (echo, sh output) goes to stderr.

import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic

class HarnessError extends RuntimeException {
  HarnessError(String message) { super(message) }
}

if (args.length < 1) {
  System.err.println('usage: groovy harness.groovy <step> [json args]')
  System.exit(2)
}
String step = args[0]
Map stepArgs = args.length > 1 && args[1].trim() ? (new JsonSlurperClassic().parseText(args[1]) as Map) : [:]

File libRoot = new File(getClass().protectionDomain.codeSource.location.path).parentFile.parentFile
if (!new File(libRoot, 'vars').isDirectory()) libRoot = new File(System.getProperty('user.dir'), 'jenkins')
File varsFile = new File(libRoot, "vars/${step}.groovy")
if (!varsFile.isFile()) {
  System.err.println("no step ${step} (${varsFile})")
  System.exit(2)
}

Map<String, String> envMap = new LinkedHashMap<String, String>(System.getenv())
Map<String, String> credentialEnv = [:]
File workDir = new File(System.getProperty('user.dir'))
def log = { Object msg -> System.err.println(String.valueOf(msg)) }

def binding = new Binding()
binding.setVariable('env', envMap)

binding.setVariable('echo', { Object msg -> log("[echo] ${msg}") })

binding.setVariable('error', { Object msg -> throw new HarnessError(String.valueOf(msg)) })

binding.setVariable('usernamePassword', { Map m ->
  if (!m.credentialsId) throw new HarnessError('usernamePassword: credentialsId is required')
  return [$class: 'UsernamePasswordMultiBinding'] + m
})

binding.setVariable('withCredentials', { List bindings, Closure body ->
  Map<String, String> saved = new LinkedHashMap<String, String>(credentialEnv)
  bindings.each { Map b ->
    if (b.usernameVariable) credentialEnv[b.usernameVariable as String] = System.getenv('HARNESS_USERNAME') ?: ''
    if (b.passwordVariable) credentialEnv[b.passwordVariable as String] = System.getenv('HARNESS_PASSWORD') ?: ''
  }
  try {
    return body.call()
  } finally {
    credentialEnv.clear()
    credentialEnv.putAll(saved)
  }
})

binding.setVariable('sh', { Object arg ->
  Map m = arg instanceof Map ? (arg as Map) : [script: String.valueOf(arg)]
  String script = String.valueOf(m.script)
  log("[sh${m.label ? ' ' + m.label : ''}] ${script}")
  ProcessBuilder pb = new ProcessBuilder('bash', '-c', script)
  pb.directory(workDir)
  Map<String, String> penv = pb.environment()
  penv.clear()
  envMap.each { k, v -> if (v != null) penv.put(String.valueOf(k), String.valueOf(v)) }
  penv.putAll(credentialEnv)
  pb.redirectError(ProcessBuilder.Redirect.INHERIT)
  Process p = pb.start()
  p.outputStream.close()
  String out = p.inputStream.getText('UTF-8')
  int code = p.waitFor()
  if (m.returnStatus) {
    if (out) System.err.print(out)
    return code
  }
  if (code != 0) throw new HarnessError("script returned exit code ${code}")
  if (m.returnStdout) return out
  if (out) System.err.print(out)
  return null
})

def resolve = { String f -> new File(f).isAbsolute() ? new File(f) : new File(workDir, f) }
binding.setVariable('readFile', { Object arg ->
  String f = arg instanceof Map ? String.valueOf(arg.file) : String.valueOf(arg)
  File file = resolve(f)
  if (!file.isFile()) throw new HarnessError("readFile: no file ${f}")
  return file.getText('UTF-8')
})
binding.setVariable('writeFile', { Map m ->
  File file = resolve(String.valueOf(m.file))
  if (file.parentFile) file.parentFile.mkdirs()
  file.setText(String.valueOf(m.text), 'UTF-8')
  return null
})

def shell = new GroovyShell(this.class.classLoader, binding)
shell.classLoader.addClasspath(new File(libRoot, 'src').absolutePath)
Script stepScript = shell.parse(varsFile)
stepScript.binding = binding

try {
  def result = stepScript.invokeMethod('call', [stepArgs] as Object[])
  println('RESULT ' + JsonOutput.toJson(result))
  System.out.flush()
  System.exit(0)
} catch (HarnessError e) {
  println('ERROR ' + e.message.replace('\n', ' '))
  System.out.flush()
  System.exit(1)
}
