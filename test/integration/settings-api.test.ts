import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { SettingsService } from '../../server/settings/settings.service.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

describe('run-time settings (/api/v2.0/configurations)', () => {
  let server: TestServer;
  let api: ApiCall;
  const alice = basic('alice', 'Alice-Passw0rd');

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server);
    expect((await api('POST', '/users', { username: 'alice', email: 'alice@example.com', realname: 'Alice', password: 'Alice-Passw0rd' })).status).toBe(201);
  });
  afterAll(async () => server?.stop());

  it('shows every setting with whether it can be changed here', async () => {
    const res = await api('GET', '/configurations');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, { value: unknown; editable: boolean }>;
    expect(body.auth_mode).toEqual({ value: 'db_auth', editable: false });
    expect(body.robot_name_prefix).toEqual({ value: 'robot-', editable: false });
    expect(body.project_creation_restriction).toEqual({ value: 'everyone', editable: true });
    expect(body.self_registration).toEqual({ value: false, editable: true });
    expect(body.storage_per_project).toEqual({ value: -1, editable: true });
  });

  it('applies a change at once, keeps it in the database and records it in the audit log', async () => {
    expect((await api('POST', '/projects', { project_name: 'before' }, alice)).status).toBe(201);
    expect((await api('PUT', '/configurations', { project_creation_restriction: 'adminonly', self_registration: true })).status).toBe(200);
    expect((await api('POST', '/projects', { project_name: 'after' }, alice)).status).toBe(403);
    const signUp = await api('POST', '/users', { username: 'bob', email: 'bob@example.com', realname: 'Bob', password: 'Bob-Passw0rd1' }, null);
    expect(signUp.status).toBe(201);
    expect(((await (await api('GET', '/systeminfo')).json()) as { self_registration: boolean }).self_registration).toBe(true);

    // A new process (another node) reads the same values.
    const other = new SettingsService(server.services.db.knex, server.services.config, server.services.events, server.services.log);
    await other.load();
    expect(other.get('project_creation_restriction')).toBe('adminonly');

    await server.services.audit.flush();
    const log = (await (await api('GET', '/audit-logs?q=resource_type=configuration')).json()) as Array<{ username: string; operation: string; resource: string }>;
    expect(log[0]).toMatchObject({ username: 'admin', operation: 'update', resource: 'project_creation_restriction,self_registration' });
    expect((await api('PUT', '/configurations', { project_creation_restriction: 'everyone', self_registration: false })).status).toBe(200);
  });

  it('gives projects created afterwards the default storage limit set here', async () => {
    expect((await api('PUT', '/configurations', { storage_per_project: 1_048_576 })).status).toBe(200);
    expect((await api('POST', '/projects', { project_name: 'limited-by-default' })).status).toBe(201);
    const quotas = (await (await api('GET', '/quotas?reference=project&page_size=100')).json()) as Array<{ ref: { name: string }; hard: { storage: number } }>;
    expect(quotas.find((q) => q.ref.name === 'limited-by-default')?.hard.storage).toBe(1_048_576);
    expect(quotas.find((q) => q.ref.name === 'before')?.hard.storage).toBe(-1);
    expect((await api('PUT', '/configurations', { storage_per_project: -1 })).status).toBe(200);
  });

  it('turns every webhook off and on again with notification_enable', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const policy = await api('POST', '/projects/library/webhook/policies', {
        name: 'all-pushes',
        enabled: true,
        event_types: ['PUSH_ARTIFACT'],
        targets: [{ type: 'http', address: `${receiver.url}/hook` }],
      }, undefined, { 'X-Is-Resource-Name': 'true' });
      expect(policy.status, await policy.clone().text()).toBe(201);
      const client = new OciTestClient(server.url, server.adminAuth);
      expect((await api('PUT', '/configurations', { notification_enable: false })).status).toBe(200);
      await client.pushImage('library/quiet', 'v1');
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.requests).toHaveLength(0);
      expect((await api('PUT', '/configurations', { notification_enable: true })).status).toBe(200);
      await client.pushImage('library/loud', 'v1');
      const [got] = await receiver.waitFor(1);
      expect(JSON.parse(got!.body.toString()).event_data.repository.repo_full_name).toBe('library/loud');
    } finally {
      await receiver.close();
    }
  });

  it('refuses unknown, fixed and invalid settings, and anyone but an administrator', async () => {
    const cases: Array<[unknown, string]> = [
      [{ auth_mode: 'ldap_auth' }, 'auth_mode'],
      [{ robot_name_prefix: 'robot$' }, 'robot_name_prefix'],
      [{ no_such_setting: 1 }, 'no_such_setting'],
      [{ project_creation_restriction: 'nobody' }, 'project_creation_restriction'],
      [{ storage_per_project: -5 }, 'storage_per_project'],
      [{ self_registration: 'yes' }, 'self_registration'],
      [[1, 2], 'object'],
      ['{"broken":', 'JSON'],
    ];
    for (const [body, named] of cases) {
      const res = await api('PUT', '/configurations', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text).errors[0].code).toBe('BAD_REQUEST');
      expect(text).toContain(named);
    }
    expect((await api('PUT', '/configurations', 'x'.repeat(70_000))).status).toBe(413);
    expect(await apiErrorCode(await api('GET', '/configurations', undefined, alice))).toBe('FORBIDDEN');
    expect((await api('PUT', '/configurations', { self_registration: true }, alice)).status).toBe(403);
    expect((await api('GET', '/configurations', undefined, null)).status).toBe(401);
    expect(server.services.settings.get('self_registration')).toBe(false);
  });
});
