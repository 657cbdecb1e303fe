import dev.berth.Shell

/**
 * berthPush(source: 'build/oci', image: 'myproject/app:1.0', credentialsId: 'berth-robot', server: 'https://berth.example.com')
 * Pushes an OCI layout directory, an oci-archive tar or a docker save tar; answers the CLI's JSON as a Map
 * (image, digest, imageWithDigest, blobs, ...).
 */
def call(Map args) {
  if (!args?.source) error('berthPush: the source argument (an OCI layout, oci-archive or docker save tar) is required')
  if (!args?.image) error('berthPush: the image argument (project/repository:tag) is required')
  List cmd = ['push', String.valueOf(args.source), String.valueOf(args.image), '--progress', 'none']
  if (args.concurrency) cmd += ['--concurrency', String.valueOf(args.concurrency)]
  Map r = Shell.run(this, args, cmd)
  if (r.status != 0) error(Shell.failure('push', r))
  Map result = r.json ?: [:]
  echo("Berth: pushed ${result.imageWithDigest ?: result.image}")
  return result
}
