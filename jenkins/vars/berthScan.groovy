import dev.berth.Shell

/**
 * berthScan(image: 'myproject-dev/app:1.4', failOn: 'high', credentialsId: 'berth-robot')
 * Scans an artifact now and waits for the report. Answers a Map: failed, digest, severity, summary, vulnerabilities.
 * A finding at or above failOn (exit code 3) fails the build with the worst of them, unless failOnFindings: false.
 */
def call(Map args) {
  if (!args?.image) error('berthScan: the image argument is required')
  List cmd = ['scan', String.valueOf(args.image)]
  if (args.failOn) cmd += ['--fail-on', String.valueOf(args.failOn)]
  if (args.timeout) cmd += ['--timeout', String.valueOf(args.timeout)]
  Map r = Shell.run(this, args, cmd)
  Map j = r.json ?: [:]
  Map result = [failed: j.failed == true, digest: j.digest, severity: j.severity, summary: j.summary, vulnerabilities: j.vulnerabilities ?: []]
  if (r.status == 3) {
    List over = (j.vulnerabilities ?: []).findAll { v -> ['low', 'medium', 'high', 'critical'].indexOf(String.valueOf(v.severity).toLowerCase()) >= ['low', 'medium', 'high', 'critical'].indexOf(String.valueOf(args.failOn).toLowerCase()) }
    Map worst = over ? over[0] : [:]
    String message = "Berth scan of ${args.image}: ${over.size()} at or above ${args.failOn}, the worst ${worst.severity} ${worst.id} in ${worst.package} ${worst.version}"
    if (args.failOnFindings == false) {
      echo(message)
      return result
    }
    error(message)
  }
  if (r.status != 0) error(Shell.failure('scan', r))
  echo("Berth: ${args.image} scanned, ${result.vulnerabilities.size()} vulnerabilities, severity ${result.severity}")
  return result
}
