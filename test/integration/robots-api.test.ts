import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../server/auth/permissions.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';

const pullOnly = (namespace: string) => [{ kind: 'project', namespace, access: [{ resource: 'repository', action: 'pull' }] }];

describe('/api/v2.0/robots and robot logins', () => {
  let server: TestServer;
  let api: ApiCall;
  const padmin = basic('rpadmin', 'Padmin-Passw0rd');
  const dev = basic('rdev', 'Dev-Passw0rd');

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server, server.adminAuth);
    const project = await server.services.projects.ensure('bots', false, null);
    for (const [name, password, role] of [['rpadmin', 'Padmin-Passw0rd', roles.projectAdmin], ['rdev', 'Dev-Passw0rd', roles.developer]] as const) {
      await server.services.users.createIfMissing(name, password, false);
      const user = (await usersRepo.findByName(server.services.db.knex, name))!;
      await server.services.members.setUserRole(project.id, user.id, role);
    }
    await new OciTestClient(server.url, server.adminAuth).pushImage('bots/app', 'v1');
  });
  afterAll(async () => server?.stop());

  async function createRobot(body: Record<string, unknown>, auth = padmin): Promise<{ id: number; name: string; secret: string }> {
    const res = await api('POST', '/robots', body, auth);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: number; name: string; secret: string };
  }

  const v2 = (path: string, auth: string, method = 'GET') => fetch(`${server.url}${path}`, { method, headers: { authorization: auth } });

  it('creates a project robot whose secret is shown once, stored hashed, under a name without "$"', async () => {
    const robot = await createRobot({ name: 'ci', level: 'project', duration: 30, permissions: pullOnly('bots') });
    expect(robot.name).toBe('robot-bots+ci');
    expect(robot.secret).toMatch(/^[A-Za-z0-9]{32}$/);
    const row = (await server.services.db.knex('robots').where({ id: robot.id }).first()) as { secret_hash: string };
    expect(row.secret_hash).toMatch(/^scrypt\$/);
    expect(row.secret_hash).not.toContain(robot.secret);
    const shown = (await (await api('GET', `/robots/${robot.id}`, undefined, padmin)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ name: 'robot-bots+ci', level: 'project', duration: 30, disable: false });
    expect(shown).not.toHaveProperty('secret');
    expect(shown.expires_at as number).toBeGreaterThan(Date.now() / 1000 + 29 * 86400);
  });

  it('lets a pull-only robot pull but not push, on /v2 directly and through tokens', async () => {
    const robot = await createRobot({ name: 'puller', level: 'project', duration: -1, permissions: pullOnly('bots') });
    const auth = basic(robot.name, robot.secret);
    expect((await v2('/v2/bots/app/manifests/v1', auth)).status).toBe(200);
    expect((await v2('/v2/bots/app/blobs/uploads/', auth, 'POST')).status).toBe(403);
    const token = (await (await fetch(`${server.url}/service/token?scope=repository:bots/app:pull,push`, { headers: { authorization: auth } })).json()) as { token: string };
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString()) as { sub: string; access: unknown };
    expect(claims).toMatchObject({ sub: 'robot-bots+puller', access: [{ type: 'repository', name: 'bots/app', actions: ['pull'] }] });
    // Robots cannot use account endpoints of the management API.
    expect((await api('GET', '/users/current', undefined, auth)).status).toBe(403);
  });

  it('stops disabled, expired, refreshed-away and deleted robots', async () => {
    const robot = await createRobot({ name: 'short', level: 'project', duration: 1, permissions: pullOnly('bots') });
    const auth = basic(robot.name, robot.secret);
    expect((await v2('/v2/bots/app/manifests/v1', auth)).status).toBe(200);

    expect((await api('PUT', `/robots/${robot.id}`, { disable: true }, padmin)).status).toBe(200);
    expect((await v2('/v2/bots/app/manifests/v1', auth)).status).toBe(401);
    expect((await api('PUT', `/robots/${robot.id}`, { disable: false }, padmin)).status).toBe(200);
    expect((await v2('/v2/bots/app/manifests/v1', auth)).status).toBe(200);

    await server.services.db.knex('robots').where({ id: robot.id }).update({ expires_at: new Date(Date.now() - 1000) });
    server.services.basic.clear();
    expect((await v2('/v2/bots/app/manifests/v1', auth)).status).toBe(401);
    await server.services.db.knex('robots').where({ id: robot.id }).update({ expires_at: null });

    const refreshed = (await (await api('PATCH', `/robots/${robot.id}`, {}, padmin)).json()) as { secret: string };
    expect(refreshed.secret).not.toBe(robot.secret);
    expect((await v2('/v2/bots/app/manifests/v1', auth)).status).toBe(401);
    const newAuth = basic(robot.name, refreshed.secret);
    expect((await v2('/v2/bots/app/manifests/v1', newAuth)).status).toBe(200);

    expect((await api('DELETE', `/robots/${robot.id}`, undefined, padmin)).status).toBe(200);
    expect((await v2('/v2/bots/app/manifests/v1', newAuth)).status).toBe(401);
  });

  it('keeps robots within what their creator may do', async () => {
    const system = await api('POST', '/robots', { name: 'sys', level: 'system', duration: -1, permissions: pullOnly('*') }, padmin);
    expect(system.status).toBe(403);
    const byDev = await api('POST', '/robots', { name: 'devbot', level: 'project', duration: -1, permissions: pullOnly('bots') }, dev);
    expect(byDev.status).toBe(403);
    const unknownPermission = await api('POST', '/robots', { name: 'odd', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'bots', access: [{ resource: 'user', action: 'create' }] }] }, padmin);
    expect(unknownPermission.status).toBe(400);
    const otherProject = await api('POST', '/robots', { name: 'lib', level: 'project', duration: -1, permissions: pullOnly('library') }, padmin);
    expect(otherProject.status).toBe(403);
    const duplicate = await api('POST', '/robots', { name: 'ci', level: 'project', duration: 30, permissions: pullOnly('bots') }, padmin);
    expect(duplicate.status).toBe(409);
    for (const bad of [{ level: 'project' }, { name: 'x', level: 'galaxy', duration: 1, permissions: pullOnly('bots') }, { name: 'x', level: 'project', duration: 0, permissions: pullOnly('bots') }]) {
      expect((await api('POST', '/robots', bad, padmin)).status).toBe(400);
    }
  });

  it('lets administrators create system robots across projects and list every robot', async () => {
    const robot = await createRobot(
      { name: 'deployer', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }] },
      server.adminAuth,
    );
    expect(robot.name).toBe('robot-deployer');
    const auth = basic(robot.name, robot.secret);
    expect((await v2('/v2/bots/app/blobs/uploads/', auth, 'POST')).status).toBe(202);
    expect((await v2('/v2/library/anything/blobs/uploads/', auth, 'POST')).status).toBe(202);
    const all = await api('GET', '/robots');
    expect(Number(all.headers.get('x-total-count'))).toBeGreaterThanOrEqual(3);
    const project = (await server.services.projects.findByName('bots'))!;
    const mine = await api('GET', `/robots?q=ProjectID=${project.id}`, undefined, padmin);
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as Array<{ level: string }>).every((r) => r.level === 'project')).toBe(true);
    expect((await api('GET', '/robots', undefined, padmin)).status).toBe(403);
    expect((await api('GET', `/robots/${robot.id}`, undefined, padmin)).status).toBe(403);
  });
});
