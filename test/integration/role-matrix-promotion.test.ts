import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersRepo } from '../../server/users/users.repo.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { callers, expectCell, matrixApi, setUpCallers, type Caller } from '../helpers/role-fixture.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Who may use the policy, promotion and approval routes, for every kind of caller: policies are read by any signed-in
 * user and written by administrators; promoting needs `promotion:create` (Maintainer and above) in the stage the
 * artifact is in; approving needs read access to the artifact and Developer or above in the stage it is approved
 * for; records are read by whoever may read a project they name. Robots do not approve or manage policies (those are
 * people's decisions); a robot granted `promotion:create` promotes. Denials are 401 for anonymous callers and 403
 * for everyone else.
 */
type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

interface Route {
  name: string;
  allowed: Caller[];
  ok: number;
  run(api: Api, caller: Caller): Promise<Response>;
}

const people: Caller[] = ['nonMember', 'limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'admin'];
const signedIn: Caller[] = [...people, 'projectRobot', 'systemRobot'];
const projectReaders: Caller[] = ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'admin'];

let server: TestServer;
let digest: string;
let adminApi: Api;

const trust = (name: string) => ({ apiVersion: 'berth.dev/v1', kind: 'TrustPolicy', metadata: { name }, spec: { sigstore: { identities: [{ issuer: 'https://issuer.example', subject: 'ci@example.com' }] } } });
const ladderDoc = { apiVersion: 'berth.dev/v1', kind: 'PromotionLadder', metadata: { name: 'matrix' }, spec: { stages: [{ name: 'inner', project: 'priv' }, { name: 'outer', project: 'priv-next' }] } };
const artifact = () => `/projects/priv/repositories/app/artifacts/${digest}`;

const routes: Route[] = [
  { name: 'GET /policies', allowed: people, ok: 200, run: (api) => api('GET', '/policies') },
  { name: 'GET /policies/PromotionLadder/matrix', allowed: people, ok: 200, run: (api) => api('GET', '/policies/PromotionLadder/matrix') },
  // The same content again: 200 for whoever may write, and nothing changes.
  { name: 'PUT /policies', allowed: ['admin'], ok: 200, run: (api) => api('PUT', '/policies', ladderDoc) },
  { name: 'DELETE /policies/TrustPolicy/{name}', allowed: ['admin'], ok: 200, run: async (api, caller) => {
    expect((await adminApi('PUT', '/policies', trust(`doomed-${caller.toLowerCase()}`))).status).toBe(201);
    return api('DELETE', `/policies/TrustPolicy/doomed-${caller.toLowerCase()}`);
  } },
  { name: 'GET /system/CVEAllowlist', allowed: people, ok: 200, run: (api) => api('GET', '/system/CVEAllowlist') },
  { name: 'PUT /system/CVEAllowlist', allowed: ['admin'], ok: 200, run: (api) => api('PUT', '/system/CVEAllowlist', { items: [] }) },
  { name: 'POST /promotions (dry run)', allowed: ['maintainer', 'projectAdmin', 'admin'], ok: 200, run: (api) => api('POST', '/promotions', { artifact: `priv/app@${digest}`, dry_run: true }) },
  { name: 'POST .../artifacts/{ref}/promote (dry run)', allowed: ['maintainer', 'projectAdmin', 'admin'], ok: 200, run: (api) => api('POST', `${artifact()}/promote`, { dry_run: true }) },
  { name: 'GET /promotions', allowed: signedIn, ok: 200, run: (api) => api('GET', '/promotions') },
  { name: 'GET /projects/priv/promotions', allowed: projectReaders, ok: 200, run: (api) => api('GET', '/projects/priv/promotions') },
  { name: 'GET .../artifacts/{ref}/approvals', allowed: projectReaders, ok: 200, run: (api) => api('GET', `${artifact()}/approvals`) },
  // The deploy check reads the artifact and records nothing: anyone who may read the artifact may run it.
  { name: 'POST .../artifacts/{ref}/gate', allowed: projectReaders, ok: 200, run: (api) => api('POST', `${artifact()}/gate`, { stage: 'outer' }) },
  {
    name: 'POST .../artifacts/{ref}/approvals',
    allowed: ['developer', 'maintainer', 'projectAdmin', 'admin'],
    ok: 201,
    run: async (api) => {
      const res = await api('POST', `${artifact()}/approvals`, { comment: 'matrix' });
      // Withdrawn again by its approver, so every cell starts from none.
      if (res.status === 201) expect((await api('DELETE', `${artifact()}/approvals/${((await res.clone().json()) as { id: number }).id}`)).status).toBe(200);
      return res;
    },
  },
];

describe('role matrix on the policy, promotion and approval routes', () => {
  const auths = new Map<Caller, string | null>();
  const apiAs = (auth: string | null | undefined): Api => matrixApi(server, auth);

  beforeAll(async () => {
    server = await createTestServer();
    for (const [caller, auth] of await setUpCallers(server)) auths.set(caller, auth);
    adminApi = apiAs(server.adminAuth);
    expect((await adminApi('PUT', '/policies', ladderDoc)).status).toBe(201);
    // Every member holds the same role in the next stage's project as in priv.
    const [priv, next] = [(await server.services.projects.findByName('priv'))!, (await server.services.projects.findByName('priv-next'))!];
    for (const caller of ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'] as const) {
      const user = (await usersRepo.findByName(server.services.db.knex, caller))!;
      await server.services.members.setUserRole(next.id, user.id, (await server.services.members.roleOf(priv.id, user.id))!);
    }
    ({ digest } = await new OciTestClient(server.url, server.adminAuth).pushImage('priv/app', 'v1'));
  });
  afterAll(async () => server?.stop());

  const cells = routes.flatMap((route) => callers.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));
  it.each(cells.map((c) => [`${c.caller} ${c.route.name}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    const res = await cell.route.run(apiAs(auths.get(cell.caller)), cell.caller);
    await expectCell(res, { caller: cell.caller, allowed: cell.allowed, ok: cell.route.ok });
  });

  it('lets a robot granted promotion:create promote, and shows it as the operator', async () => {
    const admin = { kind: 'user' as const, id: 1, username: 'admin', sysadmin: true };
    const { robot, secret } = await server.services.robots.create(admin, {
      name: 'promoter',
      level: 'project',
      duration: -1,
      permissions: [{ kind: 'project', namespace: 'priv', access: [{ resource: 'repository', action: 'pull' }, { resource: 'promotion', action: 'create' }] }],
    });
    const res = await apiAs(`Basic ${Buffer.from(`${robot.name}:${secret}`).toString('base64')}`)('POST', '/promotions', { artifact: `priv/app@${digest}`, tags: ['v1'] });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'promoted', operator: robot.name, to: { repository: 'priv-next/app' } });
  });
});
