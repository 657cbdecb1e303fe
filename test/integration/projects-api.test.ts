import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../server/auth/permissions.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';

describe('/api/v2.0/projects', () => {
  let server: TestServer;
  let api: ApiCall;
  const dev = basic('pdev', 'Dev-Passw0rd');
  const outsider = basic('poutsider', 'Out-Passw0rd');

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server, server.adminAuth);
    await server.services.users.createIfMissing('pdev', 'Dev-Passw0rd', false);
    await server.services.users.createIfMissing('poutsider', 'Out-Passw0rd', false);
  });
  afterAll(async () => server?.stop());

  const code = async (res: Response): Promise<string> => ((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code;

  it('lets a signed-in user create a project and makes them its ProjectAdmin', async () => {
    const res = await api('POST', '/projects', { project_name: 'team-a', metadata: { public: 'false', auto_scan: 'true' } }, dev);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/api\/v2\.0\/projects\/\d+$/);
    const project = (await (await api('GET', '/projects/team-a', undefined, dev, { 'X-Is-Resource-Name': 'true' })).json()) as Record<string, unknown>;
    expect(project).toMatchObject({ name: 'team-a', owner_name: 'pdev', current_user_role_id: roles.projectAdmin, metadata: { public: 'false', auto_scan: 'true' }, repo_count: 0 });
    expect((await api('HEAD', '/projects?project_name=team-a', undefined, dev)).status).toBe(200);
    expect((await api('HEAD', '/projects?project_name=nope', undefined, dev)).status).toBe(404);
  });

  it.each([
    ['no name', {}, 400, 'BAD_REQUEST'],
    ['an invalid name', { project_name: 'Team A' }, 400, 'BAD_REQUEST'],
    ['a wrong metadata type', { project_name: 'x1', metadata: { public: true } }, 400, 'BAD_REQUEST'],
    ['an unknown metadata key', { project_name: 'x2', metadata: { colour: 'red' } }, 400, 'BAD_REQUEST'],
    ['a proxy-cache registry', { project_name: 'x3', registry_id: 4 }, 400, 'BAD_REQUEST'],
    ['a duplicate name', { project_name: 'team-a' }, 409, 'CONFLICT'],
  ])('refuses a project with %s', async (_name, body, status, errorCode) => {
    const res = await api('POST', '/projects', body, dev);
    expect(res.status).toBe(status);
    expect(await code(res)).toBe(errorCode);
  });

  it('refuses creation by anonymous callers', async () => {
    expect((await api('POST', '/projects', { project_name: 'anon' }, null)).status).toBe(401);
  });

  it('shows private projects to members and administrators only', async () => {
    expect((await api('GET', '/projects/team-a', undefined, outsider, { 'X-Is-Resource-Name': 'true' })).status).toBe(403);
    expect((await api('GET', '/projects/team-a', undefined, null, { 'X-Is-Resource-Name': 'true' })).status).toBe(401);
    const listed = async (auth: string | null) => ((await (await api('GET', '/projects?page_size=100', undefined, auth)).json()) as Array<{ name: string }>).map((p) => p.name);
    expect(await listed(dev)).toEqual(expect.arrayContaining(['library', 'team-a']));
    expect(await listed(outsider)).toEqual(['library']);
    expect(await listed(null)).toEqual(['library']);
    expect(await listed(server.adminAuth)).toEqual(expect.arrayContaining(['library', 'team-a']));
  });

  it('pages, filters with q and name, and sorts', async () => {
    for (const n of ['team-b', 'team-c']) expect((await api('POST', '/projects', { project_name: n, metadata: { public: 'true' } })).status).toBe(201);
    const page = await api('GET', '/projects?page=1&page_size=2&sort=-name');
    expect(page.headers.get('x-total-count')).toBe('4');
    expect(((await page.json()) as Array<{ name: string }>).map((p) => p.name)).toEqual(['team-c', 'team-b']);
    const fuzzy = (await (await api('GET', '/projects?q=name%3D~team,public%3Dtrue&sort=name')).json()) as Array<{ name: string }>;
    expect(fuzzy.map((p) => p.name)).toEqual(['team-b', 'team-c']);
    expect((await api('GET', '/projects?q=owner_password%3Dx')).status).toBe(400);
    expect((await api('GET', '/projects?sort=secret')).status).toBe(400);
  });

  it('lets ProjectAdmins update metadata, not others, and keeps the name', async () => {
    const project = (await (await api('GET', '/projects/team-a', undefined, dev, { 'X-Is-Resource-Name': 'true' })).json()) as { project_id: number };
    expect((await api('PUT', `/projects/${project.project_id}`, { metadata: { public: 'true' } }, dev)).status).toBe(200);
    expect((await api('GET', '/projects/team-a', undefined, outsider, { 'X-Is-Resource-Name': 'true' })).status).toBe(200);
    expect((await api('PUT', `/projects/${project.project_id}`, { metadata: { public: 'false' } }, outsider)).status).toBe(403);
    expect((await api('PUT', `/projects/${project.project_id}`, { project_name: 'renamed' }, dev)).status).toBe(400);
    // The registry sees the change at once: anonymous pulls are now allowed by the public flag.
    const anonymous = await fetch(`${server.url}/v2/team-a/none/tags/list`);
    expect(anonymous.status).toBe(404);
  });

  it('summarises members and repositories, and refuses to delete a project that holds repositories', async () => {
    await new OciTestClient(server.url, dev).pushImage('team-a/app', 'v1');
    const summary = (await (await api('GET', '/projects/team-a/summary', undefined, dev, { 'X-Is-Resource-Name': 'true' })).json()) as Record<string, number>;
    expect(summary).toMatchObject({ repo_count: 1, project_admin_count: 1, developer_count: 0 });
    const refused = await api('DELETE', '/projects/team-a', undefined, dev, { 'X-Is-Resource-Name': 'true' });
    expect(refused.status).toBe(412);
    expect(await code(refused)).toBe('PRECONDITION');
    expect((await api('DELETE', '/projects/team-b', undefined, outsider, { 'X-Is-Resource-Name': 'true' })).status).toBe(403);
    expect((await api('DELETE', '/projects/team-b', undefined, server.adminAuth, { 'X-Is-Resource-Name': 'true' })).status).toBe(200);
    expect((await api('GET', '/projects/team-b', undefined, server.adminAuth, { 'X-Is-Resource-Name': 'true' })).status).toBe(404);
    expect((await api('GET', '/projects/999999')).status).toBe(404);
  });
});

describe('/api/v2.0/projects with creation restricted to administrators', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ config: { auth: { projectCreationRestriction: 'adminonly' } } });
    await server.services.users.createIfMissing('plain', 'Plain-Passw0rd', false);
  });
  afterAll(async () => server?.stop());

  it('refuses ordinary users with 403', async () => {
    const res = await fetch(`${server.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: { authorization: basic('plain', 'Plain-Passw0rd'), 'content-type': 'application/json' },
      body: JSON.stringify({ project_name: 'mine' }),
    });
    expect(res.status).toBe(403);
  });
});
