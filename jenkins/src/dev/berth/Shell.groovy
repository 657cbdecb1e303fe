package dev.berth

import groovy.json.JsonSlurperClassic

/**
 * Runs the berth CLI from a pipeline step: credentials through withCredentials, --server, -o json, safe quoting.
 * Every method takes the calling script (the vars/ step) so it can call pipeline steps (sh, readFile, ...).
 */
class Shell implements Serializable {

  /** Quotes one argument for a POSIX shell: single quotes, with each ' written as '\'' . */
  static String quote(Object value) {
    String s = String.valueOf(value)
    return "'" + s.replace("'", "'\\''") + "'"
  }

  /** Quotes a list of arguments and joins them with spaces. */
  static String join(List args) {
    return args.collect { quote(it) }.join(' ')
  }

  /**
   * Runs `<cli> <args> [--server s] -o json` and answers [status: int, json: Map (or null), stderr: String, stdout: String].
   * The `cli` argument is a command line prefix (default `berth`; e.g. `node /opt/berth/bin/berth.mjs`), used as is.
   */
  static Map run(def script, Map opts, List args) {
    String cli = opts.cli ? String.valueOf(opts.cli) : 'berth'
    List all = new ArrayList(args)
    String server = opts.server ? String.valueOf(opts.server) : null
    if (!server) {
      def fromEnv = script.env?.BERTH_SERVER
      if (fromEnv) server = String.valueOf(fromEnv)
    }
    if (server) {
      all.add('--server')
      all.add(server)
    }
    all.add('-o')
    all.add('json')
    String stem = ".berth-${System.currentTimeMillis()}-${new Random().nextInt(1000000)}"
    String outFile = "${stem}.out.json"
    String errFile = "${stem}.err.txt"
    String command = "${cli} ${join(all)} > ${quote(outFile)} 2> ${quote(errFile)}"
    int status
    if (opts.credentialsId) {
      status = script.withCredentials([script.usernamePassword(credentialsId: String.valueOf(opts.credentialsId),
          usernameVariable: 'BERTH_USERNAME', passwordVariable: 'BERTH_PASSWORD')]) {
        return script.sh(script: command, returnStatus: true, label: "berth ${args ? args[0] : ''}") as int
      } as int
    } else {
      status = script.sh(script: command, returnStatus: true, label: "berth ${args ? args[0] : ''}") as int
    }
    String stdout = script.readFile(file: outFile)
    String stderr = script.readFile(file: errFile)
    script.sh(script: "rm -f ${quote(outFile)} ${quote(errFile)}", label: 'berth cleanup')
    Map json = null
    if (stdout?.trim()) {
      try {
        json = new JsonSlurperClassic().parseText(stdout) as Map
      } catch (Exception ignored) {
        json = null
      }
    }
    return [status: status, json: json, stderr: stderr ?: '', stdout: stdout ?: '']
  }

  /** The message of a failed CLI run: the JSON error's message, else stderr, else the exit code. */
  static String failure(String what, Map r) {
    String message = null
    if (r.json instanceof Map && r.json.error instanceof Map && r.json.error.message) message = String.valueOf(r.json.error.message)
    if (!message && r.stderr?.trim()) message = r.stderr.trim()
    if (!message) message = "no output"
    return "berth ${what} failed (exit ${r.status}): ${message}"
  }

  /** The failed gates of a gate report as text: `labels (prod): missing required label qa-passed; ...`. */
  static String failedGates(List gates) {
    List failed = (gates ?: []).findAll { !(it.passed) }
    if (!failed) return 'no gate reported a failure'
    return failed.collect { g -> "${g.type}${g.stage ? " (${g.stage})" : ''}: ${g.reason ?: 'failed'}" }.join('; ')
  }
}
