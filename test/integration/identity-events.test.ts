import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

describe('identity events', () => {
  let server: TestServer;
  const events: DomainEvent[] = [];
  beforeAll(async () => {
    server = await createTestServer();
    server.services.events.on('*', (e) => void events.push(e));
  });
  afterAll(async () => server?.stop());

  const api = (method: string, path: string, body?: unknown, auth = server.adminAuth) =>
    fetch(`${server.url}/api/v2.0${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('emits an event, with its operator, for logins and every user, project, member and robot change', async () => {
    expect((await api('POST', '/users', { username: 'evuser', password: 'Event-Passw0rd' })).status).toBe(201);
    expect((await api('POST', '/projects', { project_name: 'evproj' })).status).toBe(201);
    expect((await api('POST', '/projects/evproj/members', { role_id: 2, member_user: { username: 'evuser' } })).status).toBe(201);
    const robot = (await (await api('POST', '/robots', { name: 'ev', level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'evproj', access: [{ resource: 'repository', action: 'pull' }] }] })).json()) as { id: number };
    expect((await api('DELETE', `/robots/${robot.id}`)).status).toBe(200);
    await fetch(`${server.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from('evuser:wrong').toString('base64')}` } });
    await new Promise((r) => setTimeout(r, 10));
    const names = events.map((e) => `${e.name} by ${e.operator}`);
    for (const expected of ['user.logged_in by admin', 'user.created by admin', 'project.created by admin', 'member.added by admin', 'robot.created by admin', 'robot.deleted by admin', 'user.login_failed by evuser']) {
      expect(names).toContain(expected);
    }
    expect(events.find((e) => e.name === 'project.created')!.data).toMatchObject({ name: 'evproj', public: false });
  });
});
