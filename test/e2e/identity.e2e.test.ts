import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../server/auth/permissions.ts';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { Sandbox, startupTimeout, ToolError } from './tools.ts';

/**
 * Identity with real clients: skopeo and podman log in (Basic, exchanged for tokens at /service/token), roles
 * decide who may push, robots are limited to their permissions, and a generated imagePullSecret works as a
 * containers auth file until its robot is gone.
 */
describe('identity and access with real clients', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  let api: (method: string, path: string, body?: unknown) => Promise<Response>;

  beforeAll(async () => {
    berth = await startBerthProcess();
    sb = await Sandbox.create('identity', berth);
    const admin = `Basic ${Buffer.from(`admin:${berth.adminPassword}`).toString('base64')}`;
    api = (method, path, body) =>
      fetch(`${berth.url}/api/v2.0${path}`, { method, headers: { authorization: admin, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await api('POST', '/projects', { project_name: 'secure', metadata: { public: 'false' } })).status).toBe(201);
    for (const [username, role] of [['idev', roles.developer], ['iguest', roles.guest]] as const) {
      expect((await api('POST', '/users', { username, password: 'Ident-Passw0rd' })).status).toBe(201);
      expect((await api('POST', '/projects/secure/members', { role_id: role, member_user: { username } }).then((r) => r.status))).toBe(201);
    }
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  const image = (): string => `docker-archive:${sb.path('img.tar')}`;

  async function makeArchive(): Promise<void> {
    // A tiny image from the admin's push, exported as a docker-archive for the other users to push.
    await sb.registry.pushImage('library/seed', 'v1');
    await sb.skopeo(['copy', '--src-tls-verify=false', '--src-creds', sb.creds, sb.ref('library/seed:v1'), `${image()}:library/seed:v1`]);
  }

  it('lets a Developer log in with skopeo and push and pull; refuses a Guest push', async () => {
    await makeArchive();
    await sb.skopeo(['login', '--tls-verify=false', '--authfile', sb.path('dev-auth.json'), '-u', 'idev', '-p', 'Ident-Passw0rd', berth.host]);
    await sb.skopeo(['copy', '--dest-tls-verify=false', '--dest-authfile', sb.path('dev-auth.json'), image(), sb.ref('secure/app:dev')]);
    const inspected = await sb.skopeo(['inspect', '--tls-verify=false', '--creds', 'idev:Ident-Passw0rd', sb.ref('secure/app:dev')]);
    expect(JSON.parse(inspected.stdout).Name).toContain('secure/app');
    const refused = await sb.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'iguest:Ident-Passw0rd', image(), sb.ref('secure/app:guest')]).catch((e: ToolError) => e);
    expect(refused).toBeInstanceOf(ToolError);
    expect((refused as ToolError).stderr).toMatch(/denied|unauthorized|authentication required/i);
    const pulled = await sb.skopeo(['inspect', '--tls-verify=false', '--creds', 'iguest:Ident-Passw0rd', sb.ref('secure/app:dev')]);
    expect(JSON.parse(pulled.stdout).Name).toContain('secure/app');
  });

  it('lets anonymous clients pull public images but not private ones', async () => {
    await sb.skopeo(['inspect', '--tls-verify=false', '--no-creds', sb.ref('library/seed:v1')]);
    const refused = await sb.skopeo(['inspect', '--tls-verify=false', '--no-creds', sb.ref('secure/app:dev')]).catch((e: ToolError) => e);
    expect(refused).toBeInstanceOf(ToolError);
  });

  it('lets podman log in as a Developer, push and pull, and keeps a pull-only robot from pushing', async () => {
    const authfile = sb.path('podman-auth.json');
    await sb.podman(['login', '--tls-verify=false', '--authfile', authfile, '-u', 'idev', '-p', 'Ident-Passw0rd', berth.host], { storage: 'identity' });
    const common = ['--tls-verify=false', '--authfile', authfile, '--signature-policy', sb.policy];
    // A real image (podman unpacks layers), built without a daemon and pushed and pulled by the Developer.
    await writeFile(sb.path('hello.txt'), 'hello from a developer\n');
    const container = (await sb.buildah(['from', 'scratch'], { storage: 'identity' })).stdout.trim();
    await sb.buildah(['copy', container, sb.path('hello.txt'), '/hello.txt'], { storage: 'identity' });
    await sb.buildah(['commit', '-q', '--rm', container, `${berth.host}/secure/app:podman`], { storage: 'identity' });
    await sb.podman(['push', ...common, `${berth.host}/secure/app:podman`], { storage: 'identity' });
    expect((await sb.registry.request('HEAD', '/v2/secure/app/manifests/podman')).status).toBe(200);
    await sb.podman(['rmi', `${berth.host}/secure/app:podman`], { storage: 'identity' });
    await sb.podman(['pull', '-q', ...common, `${berth.host}/secure/app:podman`], { storage: 'identity' });
    const robotRes = await api('POST', '/robots', { name: 'reader', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'secure', access: [{ resource: 'repository', action: 'pull' }] }] });
    const robot = (await robotRes.json()) as { id: number; name: string; secret: string };
    await sb.podman(['login', '--tls-verify=false', '--authfile', sb.path('robot-auth.json'), '-u', robot.name, '-p', robot.secret, berth.host], { storage: 'identity' });
    await sb.skopeo(['inspect', '--tls-verify=false', '--authfile', sb.path('robot-auth.json'), sb.ref('secure/app:dev')]);
    const push = await sb.skopeo(['copy', '--dest-tls-verify=false', '--dest-authfile', sb.path('robot-auth.json'), image(), sb.ref('secure/app:robot')]).catch((e: ToolError) => e);
    expect(push).toBeInstanceOf(ToolError);
    // A disabled robot cannot log in at all.
    expect((await api('PUT', `/robots/${robot.id}`, { disable: true })).status).toBe(200);
    const login = await sb.podman(['login', '--tls-verify=false', '--authfile', sb.path('robot2-auth.json'), '-u', robot.name, '-p', robot.secret, berth.host], { storage: 'identity' }).catch((e: ToolError) => e);
    expect(login).toBeInstanceOf(ToolError);
  });

  it('generates a pull secret whose credentials let skopeo read a private image until the robot is deleted', async () => {
    const res = await api('POST', '/projects/secure/pull-secrets', { namespace: 'apps', name: 'secure-pull' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { robot: { id: number; name: string }; secret: { type: string; metadata: { name: string; namespace: string }; data: Record<string, string> }; service_account_patch: unknown; kubectl_patch: string };
    expect(body.secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(body.secret.metadata).toEqual({ name: 'secure-pull', namespace: 'apps' });
    expect(body.service_account_patch).toEqual({ imagePullSecrets: [{ name: 'secure-pull' }] });
    expect(body.kubectl_patch).toContain('kubectl patch serviceaccount default -n apps');
    const dockerConfig = Buffer.from(body.secret.data['.dockerconfigjson']!, 'base64').toString();
    const parsed = JSON.parse(dockerConfig) as { auths: Record<string, { username: string; password: string; auth: string }> };
    const entry = parsed.auths[berth.host]!;
    expect(Buffer.from(entry.auth, 'base64').toString()).toBe(`${entry.username}:${entry.password}`);
    await writeFile(sb.path('pull-secret-auth.json'), dockerConfig);
    await sb.skopeo(['inspect', '--tls-verify=false', '--authfile', sb.path('pull-secret-auth.json'), sb.ref('secure/app:dev')]);
    const push = await sb.skopeo(['copy', '--dest-tls-verify=false', '--dest-authfile', sb.path('pull-secret-auth.json'), image(), sb.ref('secure/app:secret')]).catch((e: ToolError) => e);
    expect(push).toBeInstanceOf(ToolError);
    expect((await api('DELETE', `/robots/${body.robot.id}`)).status).toBe(200);
    const after = await sb.skopeo(['inspect', '--tls-verify=false', '--authfile', sb.path('pull-secret-auth.json'), sb.ref('secure/app:dev')]).catch((e: ToolError) => e);
    expect(after).toBeInstanceOf(ToolError);
  });

  it.each([
    ['an invalid namespace', { namespace: 'Not_Valid' }],
    ['an invalid secret name', { name: '-x-' }],
    ['an unknown field', { colour: 'red' }],
    ['a bad format', { format: 'xml' }],
  ])('refuses a pull secret with %s', async (_name, body) => {
    const res = await api('POST', '/projects/secure/pull-secrets', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('BAD_REQUEST');
  });

  it('answers the YAML form of the pull secret', async () => {
    const res = await api('POST', '/projects/secure/pull-secrets', { format: 'yaml' });
    expect(res.headers.get('content-type')).toContain('application/yaml');
    const text = await res.text();
    expect(text).toContain('kind: Secret');
    expect(text).toContain('type: kubernetes.io/dockerconfigjson');
    expect(text).toContain('name: berth-secure-pull');
  });
});
