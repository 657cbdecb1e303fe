import dev.berth.Shell

/**
 * berthPromote(image: 'myproject-dev/app:1.0', to: 'test', tags: ['1.0'], credentialsId: 'berth-robot')
 * Promotes an artifact to the next (or the named) stage through that stage's gates. Answers a Map:
 * promoted, image, digest, tags, promotionId, from, to, gates (and raw: the CLI's JSON). A refusal (exit code 3)
 * fails the build with the failed gates, unless failOnRefusal: false (then promoted is false and the Map is answered).
 */
def call(Map args) {
  if (!args?.image) error('berthPromote: the image argument (project/repository:tag or project/repository@digest) is required')
  List cmd = ['promote', String.valueOf(args.image)]
  if (args.to) cmd += ['--to', String.valueOf(args.to)]
  List tags = args.tags instanceof Collection ? (args.tags as List) : (args.tag ? [args.tag] : (args.tags ? [args.tags] : []))
  if (tags) {
    cmd += ['--tag']
    for (Object t : tags) cmd += [String.valueOf(t)]
  }
  if (args.dryRun) cmd += ['--dry-run']
  Map r = Shell.run(this, args, cmd)
  Map j = r.json ?: [:]
  if (r.status == 3) {
    String target = j.to instanceof Map ? j.to.stage : (j.to ?: args.to ?: 'the next stage')
    String message = "Berth gate refused promotion of ${args.image} to ${target}: ${Shell.failedGates(j.gates as List)}"
    if (args.failOnRefusal == false) {
      echo(message)
      return [promoted: false, status: 'refused', image: args.image, digest: j.digest, promotionId: j.promotion_id,
              from: j.from instanceof Map ? j.from.stage : j.from, to: target, gates: j.gates ?: [], message: j.message ?: message, raw: j]
    }
    error(message)
  }
  if (r.status != 0) error(Shell.failure('promote', r))
  Map p = j.promotion instanceof Map ? j.promotion : [:]
  Map result = [promoted: j.promoted == true, image: j.image, digest: j.digest, tags: j.tags ?: [],
                promotionId: p.id, from: p.from instanceof Map ? p.from.stage : p.from,
                to: p.to instanceof Map ? p.to.stage : p.to, gates: p.gates ?: j.gates ?: [], raw: j]
  echo("Berth: promoted ${args.image} to ${result.to ?: args.to ?: 'the next stage'}: ${result.image}")
  return result
}
