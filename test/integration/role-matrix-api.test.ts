import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { callers, setUpCallers, type Caller } from '../helpers/role-fixture.ts';

/**
 * Walks every /api/v2.0 route built so far for every kind of caller, against Harbor's rules written out here:
 * project reads need membership (or a public project), member lists need Guest (not LimitedGuest), changes to the
 * project, its members and robots need ProjectAdmin, user administration needs a system administrator, and robots
 * cannot use account endpoints. Denials are 401 for anonymous callers and 403 for everyone else.
 */
const members: Caller[] = ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'];
const signedIn: Caller[] = ['nonMember', ...members, 'admin'];

interface Route {
  name: string;
  allowed: Caller[];
  ok: number;
  run(api: (method: string, path: string, body?: unknown) => Promise<Response>, caller: Caller): Promise<Response>;
}

const routes: Route[] = [
  { name: 'GET /projects/priv', allowed: [...members, 'admin'], ok: 200, run: (api) => api('GET', '/projects/priv') },
  { name: 'GET /projects/pub', allowed: callers, ok: 200, run: (api) => api('GET', '/projects/pub') },
  { name: 'GET /projects/priv/summary', allowed: [...members, 'admin'], ok: 200, run: (api) => api('GET', '/projects/priv/summary') },
  { name: 'PUT /projects/priv', allowed: ['projectAdmin', 'admin'], ok: 200, run: (api) => api('PUT', '/projects/priv', { metadata: { auto_scan: 'false' } }) },
  { name: 'GET /projects/priv/members', allowed: ['guest', 'developer', 'maintainer', 'projectAdmin', 'admin'], ok: 200, run: (api) => api('GET', '/projects/priv/members') },
  {
    name: 'POST /projects/priv/members',
    allowed: ['projectAdmin', 'admin'],
    ok: 201,
    run: async (api, caller) => {
      const username = `m-${caller.toLowerCase()}`;
      await fetch(`${server.url}/api/v2.0/users`, { method: 'POST', headers: { authorization: server.adminAuth, 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'Member-Passw0rd' }) });
      return api('POST', '/projects/priv/members', { role_id: 3, member_user: { username } });
    },
  },
  {
    name: 'POST /robots (project robot on priv)',
    allowed: ['projectAdmin', 'admin'],
    ok: 201,
    run: (api, caller) => api('POST', '/robots', { name: `r-${caller.toLowerCase()}`, level: 'project', duration: 1, permissions: [{ kind: 'project', namespace: 'priv', access: [{ resource: 'repository', action: 'pull' }] }] }),
  },
  { name: 'POST /projects', allowed: signedIn, ok: 201, run: (api, caller) => api('POST', '/projects', { project_name: `new-${caller.toLowerCase()}` }) },
  { name: 'GET /users', allowed: ['admin'], ok: 200, run: (api) => api('GET', '/users') },
  { name: 'GET /users/current', allowed: signedIn, ok: 200, run: (api) => api('GET', '/users/current') },
];

let server: TestServer;

describe('role matrix on /api/v2.0', () => {
  const auths = new Map<Caller, string | null>();
  beforeAll(async () => {
    server = await createTestServer();
    for (const [caller, auth] of await setUpCallers(server)) auths.set(caller, auth);
  });
  afterAll(async () => server?.stop());

  const cells = routes.flatMap((route) => callers.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));
  it.each(cells.map((c) => [`${c.caller} ${c.route.name}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    const auth = auths.get(cell.caller);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/api/v2.0${path}`, {
        method,
        headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json', 'X-Is-Resource-Name': 'true' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const res = await cell.route.run(api, cell.caller);
    if (cell.allowed) expect(res.status, await res.text()).toBe(cell.route.ok);
    else expect(res.status, await res.text()).toBe(cell.caller === 'anonymous' ? 401 : 403);
  });
});
