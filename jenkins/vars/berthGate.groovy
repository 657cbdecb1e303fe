import dev.berth.Shell

/**
 * berthGate(image: 'myproject-test/app@sha256:...', stage: 'prod', credentialsId: 'berth-robot')
 * Evaluates a stage's gates for an artifact without moving it. Answers a Map: passed, image, stage, digest, gates.
 * A failed gate (exit code 3) fails the build with the failed gates, unless failOnRefusal: false.
 */
def call(Map args) {
  if (!args?.image) error('berthGate: the image argument is required')
  List cmd = ['gate', String.valueOf(args.image)]
  if (args.stage) cmd += ['--stage', String.valueOf(args.stage)]
  Map r = Shell.run(this, args, cmd)
  Map j = r.json ?: [:]
  if (r.status == 3) {
    String message = "Berth gate refused ${args.image} for stage ${j.stage ?: args.stage ?: '(its current stage)'}: ${Shell.failedGates(j.gates as List)}"
    if (args.failOnRefusal == false) {
      echo(message)
      return [passed: false, image: j.image ?: args.image, stage: j.stage ?: args.stage, digest: j.digest, gates: j.gates ?: [], message: message]
    }
    error(message)
  }
  if (r.status != 0) error(Shell.failure('gate', r))
  Map result = [passed: j.passed == true, image: j.image, stage: j.stage, digest: j.digest, gates: j.gates ?: []]
  echo("Berth: every gate of ${result.stage} passes for ${result.image}")
  return result
}
