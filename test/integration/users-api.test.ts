import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';

interface ApiError {
  errors: Array<{ code: string; message: string }>;
}

describe('/api/v2.0/users', () => {
  let server: TestServer;
  let api: ApiCall;
  const alice = basic('alice', 'Alice-Passw0rd');

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server, server.adminAuth);
  });
  afterAll(async () => server?.stop());

  const code = async (res: Response): Promise<string> => ((await res.json()) as ApiError).errors[0]!.code;
  let aliceId: number;

  it('lets an administrator create a user (201 with Location) and read it back in Harbor\'s shape', async () => {
    const res = await api('POST', '/users', { username: 'alice', password: 'Alice-Passw0rd', email: 'alice@example.com', realname: 'Alice' });
    expect(res.status).toBe(201);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/api\/v2\.0\/users\/\d+$/);
    aliceId = Number(location.split('/').pop());
    const user = (await (await api('GET', `/users/${aliceId}`)).json()) as Record<string, unknown>;
    expect(user).toMatchObject({ user_id: aliceId, username: 'alice', email: 'alice@example.com', realname: 'Alice', sysadmin_flag: false });
    expect(user).not.toHaveProperty('password');
    expect(user).not.toHaveProperty('password_hash');
  });

  it.each([
    ['missing password', { username: 'bob' }, 400, 'BAD_REQUEST'],
    ['a weak password', { username: 'bob', password: 'password' }, 400, 'BAD_REQUEST'],
    ['no digit', { username: 'bob', password: 'Password' }, 400, 'BAD_REQUEST'],
    ['a wrong type', { username: 7, password: 'Bob-Passw0rd' }, 400, 'BAD_REQUEST'],
    ['an unknown field', { username: 'bob', password: 'Bob-Passw0rd', admin: true }, 400, 'BAD_REQUEST'],
    ['a bad username', { username: 'bo b', password: 'Bob-Passw0rd' }, 400, 'BAD_REQUEST'],
    ['a username reserved for robots', { username: 'robot-bob', password: 'Bob-Passw0rd' }, 400, 'BAD_REQUEST'],
    ['a duplicate username', { username: 'alice', password: 'Alice-Passw0rd' }, 409, 'CONFLICT'],
    ['a duplicate email', { username: 'alice2', password: 'Alice-Passw0rd', email: 'alice@example.com' }, 409, 'CONFLICT'],
    ['malformed JSON', '{"username":', 400, 'BAD_REQUEST'],
  ])('refuses a creation with %s', async (_name, body, status, errorCode) => {
    const res = await api('POST', '/users', body);
    expect(res.status).toBe(status);
    expect(await code(res)).toBe(errorCode);
  });

  it('refuses creation by anonymous callers (self-registration is off) and by non-administrators', async () => {
    const anon = await api('POST', '/users', { username: 'mallory', password: 'Mallory-Passw0rd' }, null);
    expect(anon.status).toBe(401);
    expect(await code(anon)).toBe('UNAUTHORIZED');
    const asAlice = await api('POST', '/users', { username: 'mallory', password: 'Mallory-Passw0rd' }, alice);
    expect(asAlice.status).toBe(403);
    expect(await code(asAlice)).toBe('FORBIDDEN');
  });

  it('lists users to administrators only, paginated with X-Total-Count and Link, filtered by q', async () => {
    for (const n of ['carol', 'dave', 'erin']) expect((await api('POST', '/users', { username: n, password: 'Some-Passw0rd' })).status).toBe(201);
    const page = await api('GET', '/users?page=1&page_size=2');
    expect(page.status).toBe(200);
    expect(Number(page.headers.get('x-total-count'))).toBe(5);
    expect(page.headers.get('link')).toContain('rel="next"');
    expect(((await page.json()) as unknown[]).length).toBe(2);
    const filtered = (await (await api('GET', '/users?q=username%3D~ar')).json()) as Array<{ username: string }>;
    expect(filtered.map((u) => u.username)).toEqual(['carol']);
    expect((await api('GET', '/users', undefined, alice)).status).toBe(403);
    expect((await api('GET', '/users?page=0')).status).toBe(400);
  });

  it('shows the current user and lets users read and edit only themselves', async () => {
    const me = (await (await api('GET', '/users/current', undefined, alice)).json()) as { user_id: number };
    expect(me.user_id).toBe(aliceId);
    expect((await api('PUT', `/users/${aliceId}`, { realname: 'Alice A.' }, alice)).status).toBe(200);
    expect(((await (await api('GET', `/users/${aliceId}`, undefined, alice)).json()) as { realname: string }).realname).toBe('Alice A.');
    expect((await api('GET', '/users/1', undefined, alice)).status).toBe(403);
    expect((await api('GET', '/users/current', undefined, null)).status).toBe(401);
    expect((await api('GET', '/users/999999')).status).toBe(404);
    expect((await api('GET', '/users/abc')).status).toBe(400);
  });

  it('changes passwords: the old one is required for your own, the policy applies, old credentials stop working', async () => {
    const wrongOld = await api('PUT', `/users/${aliceId}/password`, { old_password: 'nope', new_password: 'Alice-Passw0rd2' }, alice);
    expect(wrongOld.status).toBe(403);
    const weak = await api('PUT', `/users/${aliceId}/password`, { old_password: 'Alice-Passw0rd', new_password: 'weak' }, alice);
    expect(weak.status).toBe(400);
    expect((await api('PUT', `/users/${aliceId}/password`, { old_password: 'Alice-Passw0rd', new_password: 'Alice-Passw0rd2' }, alice)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/`, { headers: { authorization: alice } })).status).toBe(401);
    const alice2 = basic('alice', 'Alice-Passw0rd2');
    expect((await fetch(`${server.url}/v2/`, { headers: { authorization: alice2 } })).status).toBe(200);
    // An administrator may reset someone else's password without the old one.
    expect((await api('PUT', `/users/${aliceId}/password`, { new_password: 'Alice-Passw0rd3' })).status).toBe(200);
  });

  it('sets and unsets the administrator flag, never on yourself', async () => {
    const alice3 = basic('alice', 'Alice-Passw0rd3');
    expect((await api('PUT', `/users/${aliceId}/sysadmin`, { sysadmin_flag: true })).status).toBe(200);
    expect((await api('GET', '/users', undefined, alice3)).status).toBe(200);
    expect((await api('PUT', `/users/${aliceId}/sysadmin`, { sysadmin_flag: 'yes' })).status).toBe(400);
    expect((await api('PUT', `/users/${aliceId}/sysadmin`, { sysadmin_flag: false }, alice3)).status).toBe(403);
    expect((await api('PUT', `/users/${aliceId}/sysadmin`, { sysadmin_flag: false })).status).toBe(200);
    expect((await api('GET', '/users', undefined, alice3)).status).toBe(403);
  });

  it('deletes users (not yourself, not admin) and their logins stop working', async () => {
    const list = (await (await api('GET', '/users?q=username%3D~dave')).json()) as Array<{ user_id: number }>;
    const dave = list[0]!.user_id;
    expect((await fetch(`${server.url}/v2/`, { headers: { authorization: basic('dave', 'Some-Passw0rd') } })).status).toBe(200);
    expect((await api('DELETE', `/users/${dave}`)).status).toBe(200);
    expect((await fetch(`${server.url}/v2/`, { headers: { authorization: basic('dave', 'Some-Passw0rd') } })).status).toBe(401);
    expect((await api('DELETE', `/users/${dave}`)).status).toBe(404);
    const adminId = ((await (await api('GET', '/users/current')).json()) as { user_id: number }).user_id;
    expect((await api('DELETE', `/users/${adminId}`)).status).toBe(403);
  });

  it('refuses registry tokens on the management API', async () => {
    const res = await api('GET', '/users/current', undefined, 'Bearer abc.def.ghi');
    expect(res.status).toBe(401);
  });
});

describe('/api/v2.0/users with self-registration on', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ config: { auth: { selfRegistration: true } } });
  });
  afterAll(async () => server?.stop());

  it('lets anyone create an ordinary account', async () => {
    const res = await fetch(`${server.url}/api/v2.0/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'newbie', password: 'Newbie-Passw0rd' }),
    });
    expect(res.status).toBe(201);
    const me = (await (await fetch(`${server.url}/api/v2.0/users/current`, { headers: { authorization: basic('newbie', 'Newbie-Passw0rd') } })).json()) as { sysadmin_flag: boolean };
    expect(me.sysadmin_flag).toBe(false);
  });
});
