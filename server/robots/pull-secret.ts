import { stringify } from 'yaml';

export interface PullSecretInput {
  registryHost: string;
  username: string;
  password: string;
  name: string;
  namespace: string;
  serviceAccount: string;
}

/**
 * A `kubernetes.io/dockerconfigjson` Secret holding one registry credential, and the ServiceAccount patch that
 * adds it. ServiceAccount.imagePullSecrets merges by name under a strategic merge patch (kubectl's default), so
 * the patch appends without dropping the account's existing secrets.
 */
export function buildPullSecret(input: PullSecretInput) {
  const auth = Buffer.from(`${input.username}:${input.password}`).toString('base64');
  const dockerConfig = { auths: { [input.registryHost]: { username: input.username, password: input.password, auth } } };
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: input.name, namespace: input.namespace },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerConfig)).toString('base64') },
  };
  const patch = { imagePullSecrets: [{ name: input.name }] };
  return {
    secret,
    serviceAccountPatch: patch,
    kubectlPatch: `kubectl patch serviceaccount ${input.serviceAccount} -n ${input.namespace} -p '${JSON.stringify(patch)}'`,
    yaml: stringify(secret),
  };
}
