import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciTestClient } from '../helpers/oci-client.ts';
import { callers, setUpCallers, type Caller } from '../helpers/role-fixture.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Every route of the artifacts API for every kind of caller, on the public project `pub` and the private project
 * `priv`, against Harbor's rules written out here: anyone reads the images of a public project (its repositories,
 * artifacts, tags, accessories and additions); a private project's only its members (LimitedGuest included) and
 * administrators; project labels are read from Guest up; tags are created from Developer up, who may also copy
 * in; deleting, labelling, describing repositories and keeping project labels needs Maintainer; global labels are
 * kept by administrators and read by anyone. The fixture's robots hold only repository permissions, so on the
 * management API they get what a public project gives anyone, plus (the system robot) deleting repositories, which
 * is `repository:delete`. Denials: 401 for anonymous callers, 403 otherwise.
 */
const members: Caller[] = ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'];
const privReaders: Caller[] = [...members, 'admin'];
const signedIn: Caller[] = callers.filter((c) => c !== 'anonymous');
const guestUp: Caller[] = ['guest', 'developer', 'maintainer', 'projectAdmin', 'admin'];
const developerUp: Caller[] = ['developer', 'maintainer', 'projectAdmin', 'admin'];
const maintainerUp: Caller[] = ['maintainer', 'projectAdmin', 'admin'];

type Api = (method: string, path: string, body?: unknown) => Promise<Response>;
interface Route {
  name: string;
  allowed: Caller[];
  ok: number;
  /** Creates what the call needs, as the administrator, so that each cell stands alone. */
  prepare?(caller: Caller): Promise<void>;
  run(api: Api, caller: Caller): Promise<Response>;
}

let server: TestServer;
let oci: OciTestClient;
const ids: Record<string, number> = {};
const adminApi: Api = (method, path, body) =>
  fetch(`${server.url}/api/v2.0${path}`, { method, headers: { authorization: server.adminAuth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const labelId = async (res: Response): Promise<number> => {
  if (res.status !== 201) throw new Error(`label create failed: ${res.status} ${await res.text()}`);
  return Number(res.headers.get('location')!.split('/').pop());
};

const reads = (project: 'pub' | 'priv'): Route[] => {
  const readers = project === 'pub' ? callers : privReaders;
  const repo = `/projects/${project}/repositories/app`;
  return [
    { name: `GET /projects/${project}/repositories`, allowed: readers, ok: 200, run: (api) => api('GET', `/projects/${project}/repositories`) },
    { name: `GET ${repo}`, allowed: readers, ok: 200, run: (api) => api('GET', repo) },
    { name: `GET ${repo}/artifacts`, allowed: readers, ok: 200, run: (api) => api('GET', `${repo}/artifacts?with_label=true`) },
    { name: `GET ${repo}/artifacts/v1`, allowed: readers, ok: 200, run: (api) => api('GET', `${repo}/artifacts/v1`) },
    { name: `GET ${repo}/artifacts/v1/tags`, allowed: readers, ok: 200, run: (api) => api('GET', `${repo}/artifacts/v1/tags`) },
    { name: `GET ${repo}/artifacts/v1/accessories`, allowed: readers, ok: 200, run: (api) => api('GET', `${repo}/artifacts/v1/accessories`) },
    { name: `GET ${repo}/artifacts/v1/additions/build_history`, allowed: readers, ok: 200, run: (api) => api('GET', `${repo}/artifacts/v1/additions/build_history`) },
    // Harbor asks for a signed-in caller on the project-wide list even for a public project.
    { name: `GET /projects/${project}/artifacts`, allowed: project === 'pub' ? signedIn : privReaders, ok: 200, run: (api) => api('GET', `/projects/${project}/artifacts`) },
    { name: `GET /labels?scope=p (${project})`, allowed: guestUp, ok: 200, run: (api) => api('GET', `/labels?scope=p&project_id=${ids[project]}`) },
  ];
};

const writes = (project: 'pub' | 'priv'): Route[] => {
  const repo = `/projects/${project}/repositories/app`;
  const key = (caller: Caller) => `${project}-${caller.toLowerCase()}`;
  return [
    { name: `POST ${repo}/artifacts/v1/tags`, allowed: developerUp, ok: 201, run: (api, c) => api('POST', `${repo}/artifacts/v1/tags`, { name: `t-${c.toLowerCase()}` }) },
    {
      name: `DELETE ${repo}/artifacts/v1/tags/{tag}`,
      allowed: maintainerUp,
      ok: 200,
      prepare: async (c) => void (await adminApi('POST', `${repo}/artifacts/v1/tags`, { name: `d-${c.toLowerCase()}` })),
      run: (api, c) => api('DELETE', `${repo}/artifacts/v1/tags/d-${c.toLowerCase()}`),
    },
    {
      name: `POST ${repo}/artifacts/v1/labels`,
      allowed: maintainerUp,
      ok: 200,
      prepare: async (c) => void (ids[`attach-${key(c)}`] = await labelId(await adminApi('POST', '/labels', { name: `a-${key(c)}`, scope: 'p', project_id: ids[project] }))),
      run: (api, c) => api('POST', `${repo}/artifacts/v1/labels`, { id: ids[`attach-${key(c)}`] }),
    },
    {
      name: `DELETE ${repo}/artifacts/v1/labels/{id}`,
      allowed: maintainerUp,
      ok: 200,
      prepare: async (c) => {
        ids[`detach-${key(c)}`] = await labelId(await adminApi('POST', '/labels', { name: `r-${key(c)}`, scope: 'p', project_id: ids[project] }));
        await adminApi('POST', `${repo}/artifacts/v1/labels`, { id: ids[`detach-${key(c)}`] });
      },
      run: (api, c) => api('DELETE', `${repo}/artifacts/v1/labels/${ids[`detach-${key(c)}`]}`),
    },
    { name: `PUT ${repo}`, allowed: maintainerUp, ok: 200, run: (api, c) => api('PUT', repo, { description: `by ${c}` }) },
    {
      name: `DELETE ${repo}/artifacts/{digest}`,
      allowed: maintainerUp,
      ok: 200,
      prepare: async (c) => void (await oci.pushImage(`${project}/app`, `del-${c.toLowerCase()}`)),
      run: (api, c) => api('DELETE', `${repo}/artifacts/del-${c.toLowerCase()}`),
    },
    {
      name: `DELETE /projects/${project}/repositories/{repo}`,
      // repository:delete is also what the system robot holds, everywhere.
      allowed: [...maintainerUp, 'systemRobot'],
      ok: 200,
      prepare: async (c) => void (await oci.pushImage(`${project}/gone-${c.toLowerCase()}`, 'v1')),
      run: (api, c) => api('DELETE', `/projects/${project}/repositories/gone-${c.toLowerCase()}`),
    },
    { name: `POST /projects/${project}/repositories/{repo}/artifacts?from=pub/app:v1 (copy)`, allowed: developerUp, ok: 201, run: (api, c) => api('POST', `/projects/${project}/repositories/copy-${c.toLowerCase()}/artifacts?from=pub/app:v1`) },
    { name: `POST /labels (scope p, ${project})`, allowed: maintainerUp, ok: 201, run: (api, c) => api('POST', '/labels', { name: `new-${key(c)}`, scope: 'p', project_id: ids[project] }) },
    {
      name: `PUT /labels/{id} (scope p, ${project})`,
      allowed: maintainerUp,
      ok: 200,
      prepare: async (c) => void (ids[`put-${key(c)}`] = await labelId(await adminApi('POST', '/labels', { name: `u-${key(c)}`, scope: 'p', project_id: ids[project] }))),
      run: (api, c) => api('PUT', `/labels/${ids[`put-${key(c)}`]}`, { description: 'changed' }),
    },
    {
      name: `DELETE /labels/{id} (scope p, ${project})`,
      allowed: maintainerUp,
      ok: 200,
      prepare: async (c) => void (ids[`del-${key(c)}`] = await labelId(await adminApi('POST', '/labels', { name: `x-${key(c)}`, scope: 'p', project_id: ids[project] }))),
      run: (api, c) => api('DELETE', `/labels/${ids[`del-${key(c)}`]}`),
    },
  ];
};

const routes: Route[] = [
  ...reads('pub'),
  ...reads('priv'),
  { name: 'GET /labels/{id} (scope p, priv)', allowed: guestUp, ok: 200, run: (api) => api('GET', `/labels/${ids.privLabel}`) },
  { name: 'GET /labels/{id} (scope g)', allowed: callers, ok: 200, run: (api) => api('GET', `/labels/${ids.globalLabel}`) },
  { name: 'GET /labels (scope g)', allowed: callers, ok: 200, run: (api) => api('GET', '/labels') },
  { name: 'POST /labels (scope g)', allowed: ['admin'], ok: 201, run: (api, c) => api('POST', '/labels', { name: `g-${c.toLowerCase()}`, scope: 'g' }) },
  { name: 'PUT /labels/{id} (scope g)', allowed: ['admin'], ok: 200, run: (api) => api('PUT', `/labels/${ids.globalLabel}`, { description: 'changed' }) },
  { name: 'GET /repositories', allowed: callers, ok: 200, run: (api) => api('GET', '/repositories') },
  { name: 'GET /search', allowed: callers, ok: 200, run: (api) => api('GET', '/search?q=app') },
  { name: 'GET /statistics', allowed: signedIn, ok: 200, run: (api) => api('GET', '/statistics') },
  ...writes('pub'),
  ...writes('priv'),
];

describe('role matrix on the artifacts API', () => {
  const auths = new Map<Caller, string | null>();
  beforeAll(async () => {
    server = await createTestServer();
    for (const [caller, auth] of await setUpCallers(server)) auths.set(caller, auth);
    oci = new OciTestClient(server.url, server.adminAuth);
    for (const project of ['pub', 'priv'] as const) {
      ids[project] = (await server.services.projects.findByName(project))!.id;
      await oci.pushImage(`${project}/app`, 'v1');
    }
    ids.privLabel = await labelId(await adminApi('POST', '/labels', { name: 'priv-label', scope: 'p', project_id: ids.priv }));
    ids.globalLabel = await labelId(await adminApi('POST', '/labels', { name: 'global-label', scope: 'g' }));
  });
  afterAll(async () => server?.stop());

  const cells = routes.flatMap((route) => callers.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));
  it.each(cells.map((c) => [`${c.caller} ${c.route.name}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    await cell.route.prepare?.(cell.caller);
    const auth = auths.get(cell.caller);
    const api: Api = (method, path, body) =>
      fetch(`${server.url}/api/v2.0${path}`, {
        method,
        headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const res = await cell.route.run(api, cell.caller);
    if (cell.allowed) expect(res.status, await res.text()).toBe(cell.route.ok);
    else {
      expect(res.status, await res.clone().text()).toBe(cell.caller === 'anonymous' ? 401 : 403);
      expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe(cell.caller === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN');
    }
  });

  it('left the denied changes undone', async () => {
    const tags = ((await (await oci.request('GET', '/v2/priv/app/tags/list')).json()) as { tags: string[] }).tags;
    for (const caller of callers) expect(tags.includes(`t-${caller.toLowerCase()}`), caller).toBe(developerUp.includes(caller));
    for (const caller of callers) {
      const deleted = (await oci.request('HEAD', `/v2/priv/app/manifests/del-${caller.toLowerCase()}`)).status === 404;
      expect(deleted, caller).toBe(maintainerUp.includes(caller));
    }
  });
});
