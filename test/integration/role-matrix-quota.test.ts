import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../helpers/api-client.ts';
import { callers, expectCell, matrixApi, setUpCallers, type Caller } from '../helpers/role-fixture.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Who may use the quota and immutability routes, for every kind of caller, against Harbor's rules: quotas are
 * system resources (administrators only; project members read theirs in the project summary, Guest and above),
 * immutability rules are listed by Guest and above and changed by Maintainer and above. Denials are 401 for
 * anonymous callers and 403 for everyone else.
 */
const readers: Caller[] = ['guest', 'developer', 'maintainer', 'projectAdmin', 'admin'];
const keepers: Caller[] = ['maintainer', 'projectAdmin', 'admin'];

type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

interface Route {
  name: string;
  allowed: Caller[];
  ok: number;
  run(api: Api, caller: Caller): Promise<Response>;
}

const rule = (pattern: string) => ({
  action: 'immutable',
  template: 'immutable_template',
  tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern }],
  scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
});

let server: TestServer;
let privQuota: number;
let adminApi: Api;

/**
 * Runs `call` on a rule the administrator made for this cell, then removes the rule again (a project holds at most
 * 15), returning the caller's response.
 */
async function withRule(caller: Caller, kind: string, call: (id: number) => Promise<Response>): Promise<Response> {
  const created = await adminApi('POST', '/projects/priv/immutabletagrules', rule(`${kind}-${caller}-*`));
  expect(created.status).toBe(201);
  const id = Number(created.headers.get('location')!.split('/').at(-1));
  const res = await call(id);
  await adminApi('DELETE', `/projects/priv/immutabletagrules/${id}`);
  return res;
}

const routes: Route[] = [
  { name: 'GET /quotas', allowed: ['admin'], ok: 200, run: (api) => api('GET', '/quotas') },
  { name: 'GET /quotas/{id}', allowed: ['admin'], ok: 200, run: (api) => api('GET', `/quotas/${privQuota}`) },
  { name: 'PUT /quotas/{id}', allowed: ['admin'], ok: 200, run: (api) => api('PUT', `/quotas/${privQuota}`, { hard: { storage: 1024 ** 3 } }) },
  { name: 'GET /projects/priv/immutabletagrules', allowed: readers, ok: 200, run: (api) => api('GET', '/projects/priv/immutabletagrules') },
  { name: 'GET /projects/pub/immutabletagrules', allowed: readers, ok: 200, run: (api) => api('GET', '/projects/pub/immutabletagrules') },
  { name: 'POST /projects/priv/immutabletagrules', allowed: keepers, ok: 201, run: (api, caller) => api('POST', '/projects/priv/immutabletagrules', rule(`post-${caller}-*`)) },
  {
    name: 'PUT /projects/priv/immutabletagrules/{id}',
    allowed: keepers,
    ok: 200,
    run: (api, caller) => withRule(caller, 'put', (id) => api('PUT', `/projects/priv/immutabletagrules/${id}`, rule(`changed-${caller}-*`))),
  },
  {
    name: 'DELETE /projects/priv/immutabletagrules/{id}',
    allowed: keepers,
    ok: 200,
    run: (api, caller) => withRule(caller, 'delete', (id) => api('DELETE', `/projects/priv/immutabletagrules/${id}`)),
  },
];

describe('role matrix on the quota and immutability routes', () => {
  const auths = new Map<Caller, string | null>();
  const apiAs = (auth: string | null | undefined): Api => matrixApi(server, auth);

  beforeAll(async () => {
    server = await createTestServer();
    for (const [caller, auth] of await setUpCallers(server)) auths.set(caller, auth);
    adminApi = apiAs(server.adminAuth);
    const priv = (await server.services.projects.findByName('priv'))!;
    const [quota] = (await (await adminApi('GET', `/quotas?reference_id=${priv.id}`)).json()) as Array<{ id: number }>;
    privQuota = quota!.id;
  });
  afterAll(async () => server?.stop());

  const cells = routes.flatMap((route) => callers.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));
  it.each(cells.map((c) => [`${c.caller} ${c.route.name}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    const res = await cell.route.run(apiAs(auths.get(cell.caller)), cell.caller);
    await expectCell(res, { caller: cell.caller, allowed: cell.allowed, ok: cell.route.ok });
  });

  it.each(callers.map((c) => [c] as const))('shows the quota block of the project summary to %s only with quota:read', async (caller) => {
    const res = await apiAs(auths.get(caller))('GET', '/projects/priv/summary');
    const members: Caller[] = ['limitedGuest', ...readers];
    if (!members.includes(caller)) {
      expect(res.status).toBe(caller === 'anonymous' ? 401 : 403);
      return;
    }
    const summary = (await res.json()) as { quota?: unknown };
    if (readers.includes(caller)) expect(summary.quota).toEqual({ hard: { storage: expect.any(Number) }, used: { storage: expect.any(Number) } });
    else expect(summary.quota).toBeUndefined();
  });

  it('lets a system robot granted quota:read on every project read quotas, but not change them', async () => {
    const admin = { kind: 'user' as const, id: 1, username: 'admin', sysadmin: true };
    const { robot, secret } = await server.services.robots.create(admin, {
      name: 'quota-reader',
      level: 'system',
      duration: -1,
      permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'quota', action: 'read' }] }],
    });
    const api = apiAs(basic(robot.name, secret));
    expect((await api('GET', '/quotas')).status).toBe(200);
    expect((await api('GET', `/quotas/${privQuota}`)).status).toBe(200);
    expect((await api('PUT', `/quotas/${privQuota}`, { hard: { storage: 5 } })).status).toBe(403);
  });
});
