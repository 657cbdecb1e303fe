import dev.berth.Shell
import groovy.json.JsonOutput

/**
 * berthPullSecret(project: 'myproject-prod', namespace: 'shop', name: 'berth-pull', serviceAccount: 'default',
 *                 file: 'pull-secret.json', credentialsId: 'berth-admin')
 * Creates a pull-only robot for the project and answers a Map: robot, secret (the Kubernetes Secret as a Map),
 * secretName, namespace, serviceAccountPatch, kubectlPatch, file (when the Secret was written to `file` as JSON,
 * ready for `kubectl apply -f`).
 */
def call(Map args) {
  if (!args?.project) error('berthPullSecret: the project argument is required')
  List cmd = ['pull-secret', String.valueOf(args.project)]
  if (args.namespace) cmd += ['--namespace', String.valueOf(args.namespace)]
  if (args.name) cmd += ['--name', String.valueOf(args.name)]
  if (args.serviceAccount) cmd += ['--service-account', String.valueOf(args.serviceAccount)]
  if (args.duration != null) cmd += ['--duration', String.valueOf(args.duration)]
  Map r = Shell.run(this, args, cmd)
  if (r.status != 0) error(Shell.failure('pull-secret', r))
  Map j = r.json ?: [:]
  Map secret = j.secret instanceof Map ? j.secret : [:]
  Map meta = secret.metadata instanceof Map ? secret.metadata : [:]
  Map result = [robot: j.robot, secret: secret, secretName: meta.name, namespace: meta.namespace,
                serviceAccountPatch: j.service_account_patch, kubectlPatch: j.kubectl_patch]
  if (args.file) {
    writeFile(file: String.valueOf(args.file), text: JsonOutput.prettyPrint(JsonOutput.toJson(secret)) + '\n')
    result.file = String.valueOf(args.file)
  }
  echo("Berth: pull secret ${meta.namespace ?: 'default'}/${meta.name} for robot ${j.robot instanceof Map ? j.robot.name : ''}")
  return result
}
