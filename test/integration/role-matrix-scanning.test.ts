import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciTestClient } from '../helpers/oci-client.ts';
import { callers, expectCell, matrixApi, setUpCallers, type Caller, type MatrixApi } from '../helpers/role-fixture.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Who may use the scanning routes, for every kind of caller: scanner registrations, scan-all and the advisory
 * database are the system administrators'; a project's scanner is read by its Guests and above and chosen by its
 * ProjectAdmins; scanning an artifact and stopping a scan need Maintainer (Harbor's split); reports are read by
 * whoever may read the artifact. Denials are 401 for anonymous callers and 403 for everyone else.
 */
type Api = MatrixApi;

interface Route {
  name: string;
  allowed: Caller[];
  ok: number;
  run(api: Api): Promise<Response>;
}

const projectReaders: Caller[] = ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'admin'];
const maintainers: Caller[] = ['maintainer', 'projectAdmin', 'admin'];

let server: TestServer;
let scanned: string;
let idle: string;
let builtin: string;

const routes: Route[] = [
  { name: 'GET /scanners', allowed: ['admin'], ok: 200, run: (api) => api('GET', '/scanners') },
  { name: 'GET /scanners/{id}', allowed: ['admin'], ok: 200, run: (api) => api('GET', `/scanners/${builtin}`) },
  { name: 'GET /scanners/{id}/metadata', allowed: ['admin'], ok: 200, run: (api) => api('GET', `/scanners/${builtin}/metadata`) },
  { name: 'POST /scanners/ping', allowed: ['admin'], ok: 200, run: (api) => api('POST', '/scanners/ping', { url: 'builtin://berth' }) },
  { name: 'PATCH /scanners/{id}', allowed: ['admin'], ok: 200, run: (api) => api('PATCH', `/scanners/${builtin}`, { is_default: true }) },
  { name: 'GET /projects/priv/scanner', allowed: ['guest', 'developer', 'maintainer', 'projectAdmin', 'admin'], ok: 200, run: (api) => api('GET', '/projects/priv/scanner') },
  { name: 'GET /projects/priv/scanner/candidates', allowed: ['projectAdmin', 'admin'], ok: 200, run: (api) => api('GET', '/projects/priv/scanner/candidates') },
  { name: 'PUT /projects/priv/scanner', allowed: ['projectAdmin', 'admin'], ok: 200, run: (api) => api('PUT', '/projects/priv/scanner', { uuid: builtin }) },
  { name: 'POST .../artifacts/{ref}/scan', allowed: maintainers, ok: 202, run: (api) => api('POST', `/projects/priv/repositories/app/artifacts/${scanned}/scan`) },
  // Nothing is being scanned: whoever may stop gets past the permission check to the precondition.
  { name: 'POST .../artifacts/{ref}/scan/stop', allowed: maintainers, ok: 412, run: (api) => api('POST', `/projects/priv/repositories/app/artifacts/${idle}/scan/stop`) },
  { name: 'GET .../additions/vulnerabilities', allowed: projectReaders, ok: 200, run: (api) => api('GET', `/projects/priv/repositories/app/artifacts/${scanned}/additions/vulnerabilities`) },
  { name: 'GET /scanning/advisories', allowed: ['admin'], ok: 200, run: (api) => api('GET', '/scanning/advisories') },
  { name: 'GET /system/scanAll/schedule', allowed: ['admin'], ok: 200, run: (api) => api('GET', '/system/scanAll/schedule') },
  { name: 'GET /scans/all/metrics', allowed: ['admin'], ok: 200, run: (api) => api('GET', '/scans/all/metrics') },
];

describe('role matrix on the scanning routes', () => {
  const auths = new Map<Caller, string | null>();
  const apiAs = (auth: string | null | undefined): Api => matrixApi(server, auth);

  beforeAll(async () => {
    server = await createTestServer();
    for (const [caller, auth] of await setUpCallers(server)) auths.set(caller, auth);
    const oci = new OciTestClient(server.url, server.adminAuth);
    ({ digest: scanned } = await oci.pushImage('priv/app', 'v1'));
    ({ digest: idle } = await oci.pushImage('priv/app', 'v2'));
    builtin = ((await (await apiAs(server.adminAuth)('GET', '/scanners')).json()) as Array<{ uuid: string }>)[0]!.uuid;
  });
  afterAll(async () => server?.stop());

  const cells = routes.flatMap((route) => callers.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));
  it.each(cells.map((c) => [`${c.caller} ${c.route.name}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    const res = await cell.route.run(apiAs(auths.get(cell.caller)));
    await expectCell(res, { caller: cell.caller, allowed: cell.allowed, ok: cell.route.ok });
  });

  it('lets a robot granted scan:create scan', async () => {
    const admin = { kind: 'user' as const, id: 1, username: 'admin', sysadmin: true };
    const { robot, secret } = await server.services.robots.create(admin, {
      name: 'scanner-bot',
      level: 'project',
      duration: -1,
      permissions: [{ kind: 'project', namespace: 'priv', access: [{ resource: 'repository', action: 'pull' }, { resource: 'scan', action: 'create' }] }],
    });
    const res = await apiAs(`Basic ${Buffer.from(`${robot.name}:${secret}`).toString('base64')}`)('POST', `/projects/priv/repositories/app/artifacts/${idle}/scan`);
    expect(res.status, await res.clone().text()).toBe(202);
  });
});
