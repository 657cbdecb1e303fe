import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';

describe('/api/v2.0/projects/{p}/members', () => {
  let server: TestServer;
  let api: ApiCall;
  const owner = basic('mowner', 'Owner-Passw0rd');
  const mate = basic('mmate', 'Mate-Passw0rd');
  const limited = basic('mlimited', 'Limited-Passw0rd');
  let projectId: number;

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server, owner);
    for (const [n, p] of [['mowner', 'Owner-Passw0rd'], ['mmate', 'Mate-Passw0rd'], ['mlimited', 'Limited-Passw0rd']]) await server.services.users.createIfMissing(n!, p!, false);
    const created = await api('POST', '/projects', { project_name: 'crew' });
    projectId = Number(created.headers.get('location')!.split('/').pop());
  });
  afterAll(async () => server?.stop());

  const members = async (auth: string = owner) => (await (await api('GET', `/projects/${projectId}/members`, undefined, auth)).json()) as Array<Record<string, unknown>>;

  it('lists the creator as ProjectAdmin and adds users by name or id with Harbor role ids', async () => {
    expect(await members()).toEqual([expect.objectContaining({ entity_name: 'mowner', entity_type: 'u', role_id: 1, role_name: 'projectAdmin' })]);
    const add = await api('POST', `/projects/${projectId}/members`, { role_id: 2, member_user: { username: 'mmate' } });
    expect(add.status).toBe(201);
    expect(add.headers.get('location')).toMatch(new RegExp(`^/api/v2\\.0/projects/${projectId}/members/\\d+$`));
    expect((await api('POST', `/projects/${projectId}/members`, { role_id: 5, member_user: { username: 'mlimited' } })).status).toBe(201);
    expect((await members()).map((m) => [m.entity_name, m.role_id])).toEqual([['mowner', 1], ['mmate', 2], ['mlimited', 5]]);
  });

  it('tells users which permissions they hold in a project (Harbor\'s /users/current/permissions)', async () => {
    const perms = async (auth: string, relative = true) =>
      (await (await api('GET', `/users/current/permissions?scope=/project/${projectId}&relative=${relative}`, undefined, auth)).json()) as Array<{ resource: string; action: string }>;
    const mine = await perms(mate);
    expect(mine).toContainEqual({ resource: 'repository', action: 'push' });
    expect(mine).not.toContainEqual({ resource: 'repository', action: 'delete' });
    expect(await perms(limited)).not.toContainEqual({ resource: 'member', action: 'list' });
    expect(await perms(owner, false)).toContainEqual({ resource: `/project/${projectId}/member`, action: 'create' });
    expect(await (await api('GET', '/users/current/permissions?scope=/system', undefined, mate)).json()).toEqual([]);
    expect((await api('GET', '/users/current/permissions?scope=/galaxy', undefined, mate)).status).toBe(400);
  });

  it('gives the new member the role at once on /v2', async () => {
    const push = await fetch(`${server.url}/v2/crew/app/blobs/uploads/`, { method: 'POST', headers: { authorization: mate } });
    expect(push.status).toBe(202);
  });

  it.each([
    ['a role outside 1-5', { role_id: 9, member_user: { username: 'mmate' } }, 400],
    ['no member', { role_id: 2 }, 400],
    ['a group', { role_id: 2, member_group: { group_name: 'devs' } }, 400],
    ['an unknown user', { role_id: 2, member_user: { username: 'ghost' } }, 404],
    ['an unknown user id', { role_id: 2, member_user: { user_id: 999999 } }, 404],
    ['an existing member', { role_id: 3, member_user: { username: 'mmate' } }, 409],
  ])('refuses adding %s', async (_name, body, status) => {
    expect((await api('POST', `/projects/${projectId}/members`, body)).status).toBe(status);
  });

  it('lets Guests and up see members but not LimitedGuests, and only ProjectAdmins change them', async () => {
    expect((await api('GET', `/projects/${projectId}/members`, undefined, mate)).status).toBe(200);
    expect((await api('GET', `/projects/${projectId}/members`, undefined, limited)).status).toBe(403);
    const mateMember = (await members()).find((m) => m.entity_name === 'mmate')!;
    expect((await api('PUT', `/projects/${projectId}/members/${mateMember.id}`, { role_id: 4 }, mate)).status).toBe(403);
    expect((await api('PUT', `/projects/${projectId}/members/${mateMember.id}`, { role_id: 4 })).status).toBe(200);
    expect(((await (await api('GET', `/projects/${projectId}/members/${mateMember.id}`)).json()) as { role_id: number }).role_id).toBe(4);
  });

  it('refuses changing your own membership and unknown member ids', async () => {
    const self = (await members()).find((m) => m.entity_name === 'mowner')!;
    expect((await api('DELETE', `/projects/${projectId}/members/${self.id}`)).status).toBe(403);
    expect((await api('PUT', `/projects/${projectId}/members/999999`, { role_id: 2 })).status).toBe(404);
  });

  it('removes a member, whose access ends at once', async () => {
    const mateMember = (await members()).find((m) => m.entity_name === 'mmate')!;
    expect((await api('DELETE', `/projects/${projectId}/members/${mateMember.id}`)).status).toBe(200);
    const push = await fetch(`${server.url}/v2/crew/app/blobs/uploads/`, { method: 'POST', headers: { authorization: mate } });
    expect(push.status).toBe(403);
  });
});
