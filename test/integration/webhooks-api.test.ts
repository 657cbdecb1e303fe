import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

type Policy = Record<string, any>;

const base = '/projects/hooks/webhook/policies';

/** Harbor's WebhookPolicy as its UI and clients send it. */
const harborPolicy = (name: string, over: Policy = {}): Policy => ({
  name,
  description: 'notify the deployer',
  enabled: true,
  event_types: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'],
  targets: [{ type: 'http', address: 'http://127.0.0.1:9/hook', skip_cert_verify: false, payload_format: 'Default' }],
  ...over,
});

describe('/api/v2.0/projects/{p}/webhook/policies', () => {
  let server: TestServer;
  let api: ApiCall;
  let projectId: number;
  const events: DomainEvent[] = [];

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server);
    expect((await api('POST', '/projects', { project_name: 'hooks' })).status).toBe(201);
    expect((await api('POST', '/projects', { project_name: 'elsewhere' })).status).toBe(201);
    projectId = ((await (await api('GET', '/projects/hooks')).json()) as { project_id: number }).project_id;
    for (const name of ['policy.created', 'policy.updated', 'policy.deleted'] as const) server.services.events.on(name, (e) => void events.push(e));
  });
  afterAll(async () => server?.stop());

  const create = async (body: Policy, path = base): Promise<number> => {
    const res = await api('POST', path, body);
    expect(res.status, await res.clone().text()).toBe(201);
    return Number(res.headers.get('location')!.split('/').pop());
  };
  const get = async (id: number): Promise<Policy> => (await (await api('GET', `${base}/${id}`)).json()) as Policy;
  const row = (id: number) => server.services.db.knex('webhook_policies').where({ id }).first();

  it("creates a policy from Harbor's body and answers with Harbor's shape plus Berth's defaults", async () => {
    const res = await api('POST', base, harborPolicy('deployer'));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/api\/v2\.0\/projects\/hooks\/webhook\/policies\/\d+$/);
    const id = Number(res.headers.get('location')!.split('/').pop());
    const policy = await get(id);
    expect(policy).toEqual({
      id,
      name: 'deployer',
      description: 'notify the deployer',
      project_id: projectId,
      targets: [{ type: 'http', address: 'http://127.0.0.1:9/hook', skip_cert_verify: false, payload_format: 'Default' }],
      event_types: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'],
      creator: 'admin',
      creation_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      update_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      enabled: true,
      filters: { repositories: [], tags: [] },
      has_secret: false,
      timeout_seconds: 10,
      max_attempts: 6,
    });
    expect(events.at(-1)).toMatchObject({ name: 'policy.created', operator: 'admin', data: { kind: 'webhook', projectId, policyId: id, name: 'deployer' } });
  });

  it('defaults a target to http and the Default format, and accepts Harbor read-only fields sent back', async () => {
    const id = await create({ name: 'minimal', event_types: ['PULL_ARTIFACT'], targets: [{ address: 'https://hooks.example.com/x' }], id: 5, project_id: 99, creator: 'x', creation_time: 'y' });
    const policy = await get(id);
    expect(policy.targets).toEqual([{ type: 'http', address: 'https://hooks.example.com/x', skip_cert_verify: false, payload_format: 'Default' }]);
    expect(policy).toMatchObject({ project_id: projectId, creator: 'admin', enabled: true });
  });

  it('seals the HMAC secret and auth headers at rest and never returns them', async () => {
    const id = await create(
      harborPolicy('sealed', {
        secret: 'hmac-secret-value',
        targets: [
          { type: 'http', address: 'http://127.0.0.1:9/a', auth_header: 'Bearer very-secret-token', payload_format: 'CloudEvents' },
          { type: 'http', address: 'http://127.0.0.1:9/b', payload_format: 'Rainbond' },
        ],
      }),
    );
    const policy = await get(id);
    expect(policy.has_secret).toBe(true);
    expect(policy).not.toHaveProperty('secret');
    expect(policy.targets[0].auth_header).toBe('******');
    expect(policy.targets[1]).not.toHaveProperty('auth_header');
    const listed = await (await api('GET', `${base}?page_size=100`)).text();
    expect(listed).not.toContain('very-secret-token');
    expect(listed).not.toContain('hmac-secret-value');
    const stored = await row(id);
    expect(JSON.stringify(stored)).not.toContain('very-secret-token');
    expect(JSON.stringify(stored)).not.toContain('hmac-secret-value');
    expect(server.services.secrets.open(stored.secret_encrypted)).toBe('hmac-secret-value');
    expect(server.services.secrets.open(stored.targets[0].auth_header_sealed)).toBe('Bearer very-secret-token');
  });

  it("keeps Berth's additions and the stored secrets when a Harbor client updates with what it read", async () => {
    const id = await create(
      harborPolicy('round-trip', {
        secret: 'keep-me',
        filters: { repositories: ['team/**'], tags: ['v*'] },
        timeout_seconds: 3,
        max_attempts: 9,
        targets: [{ type: 'http', address: 'http://127.0.0.1:9/a', auth_header: 'Basic dXNlcjpwYXNz' }],
      }),
    );
    const read = await get(id);
    // What Harbor's UI sends back: its own fields, the auth header as shown, the policy now disabled.
    const harborFields = { name: read.name, description: 'changed', enabled: false, event_types: ['PUSH_ARTIFACT'], targets: read.targets };
    expect((await api('PUT', `${base}/${id}`, harborFields)).status).toBe(200);
    const after = await get(id);
    expect(after).toMatchObject({ description: 'changed', enabled: false, event_types: ['PUSH_ARTIFACT'], filters: { repositories: ['team/**'], tags: ['v*'] }, timeout_seconds: 3, max_attempts: 9, has_secret: true });
    const stored = await row(id);
    expect(server.services.secrets.open(stored.secret_encrypted)).toBe('keep-me');
    expect(server.services.secrets.open(stored.targets[0].auth_header_sealed)).toBe('Basic dXNlcjpwYXNz');
    expect(events.at(-1)).toMatchObject({ name: 'policy.updated', data: { kind: 'webhook', policyId: id } });

    // Berth's own fields change when given; an empty secret removes it; a new header replaces the old one.
    const res = await api('PUT', `${base}/${id}`, { ...harborFields, secret: '', filters: { tags: ['prod-*'] }, targets: [{ address: 'http://127.0.0.1:9/a', auth_header: 'Bearer new' }] });
    expect(res.status).toBe(200);
    expect(await get(id)).toMatchObject({ has_secret: false, filters: { repositories: [], tags: ['prod-*'] } });
    expect(server.services.secrets.open((await row(id)).targets[0].auth_header_sealed)).toBe('Bearer new');
  });

  it('refuses a second policy with the same name in a project, on create and on rename', async () => {
    const res = await api('POST', base, harborPolicy('deployer'));
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ errors: [{ code: 'CONFLICT', message: expect.stringContaining('deployer') }] });
    const id = await create(harborPolicy('to-rename'));
    const rename = await api('PUT', `${base}/${id}`, harborPolicy('deployer'));
    expect(rename.status).toBe(409);
    expect((await get(id)).name).toBe('to-rename');
    // The same name in another project is fine.
    await create(harborPolicy('deployer'), '/projects/elsewhere/webhook/policies');
  });

  it('lists policies with paging headers, q and sort', async () => {
    const all = await api('GET', `${base}?page=1&page_size=2&sort=name`);
    expect(all.status).toBe(200);
    const total = Number(all.headers.get('x-total-count'));
    expect(total).toBeGreaterThanOrEqual(5);
    expect(all.headers.get('link')).toContain('rel="next"');
    const names = ((await all.json()) as Policy[]).map((p) => p.name);
    expect(names).toEqual([...names].sort());
    expect(names).toHaveLength(2);
    const fuzzy = (await (await api('GET', `${base}?q=name%3D~round`)).json()) as Policy[];
    expect(fuzzy.map((p) => p.name)).toEqual(['round-trip']);
    const disabled = (await (await api('GET', `${base}?q=enabled%3Dfalse`)).json()) as Policy[];
    expect(disabled.map((p) => p.name)).toEqual(['round-trip']);
  });

  it('lists the supported event types, notify types and payload formats', async () => {
    const res = await api('GET', '/projects/hooks/webhook/events');
    expect(await res.json()).toEqual({
      event_type: ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'PROMOTE_ARTIFACT', 'PROMOTION_BLOCKED', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED', 'QUOTA_EXCEED', 'QUOTA_WARNING'],
      notify_type: ['http'],
      payload_formats: [{ notify_type: 'http', formats: ['Default', 'CloudEvents', 'Rainbond'] }],
    });
  });

  it('shows each policy and event type in the last-trigger view, never triggered yet', async () => {
    const triggers = (await (await api('GET', '/projects/hooks/webhook/lasttrigger')).json()) as Policy[];
    const deployer = triggers.filter((t) => t.policy_name === 'deployer');
    expect(deployer).toEqual([
      { policy_name: 'deployer', event_type: 'PUSH_ARTIFACT', enabled: true, creation_time: expect.any(String) },
      { policy_name: 'deployer', event_type: 'DELETE_ARTIFACT', enabled: true, creation_time: expect.any(String) },
    ]);
  });

  it('deletes a policy', async () => {
    const id = await create(harborPolicy('short-lived'));
    expect((await api('DELETE', `${base}/${id}`)).status).toBe(200);
    expect((await api('GET', `${base}/${id}`)).status).toBe(404);
    expect(await row(id)).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ name: 'policy.deleted', data: { kind: 'webhook', policyId: id, name: 'short-lived' } });
  });

  describe('bad input', () => {
    let id: number;
    let otherProjectPolicy: number;
    beforeAll(async () => {
      id = await create(harborPolicy('bad-input-target'));
      otherProjectPolicy = await create(harborPolicy('foreign'), '/projects/elsewhere/webhook/policies');
    });

    const target = (over: Policy) => harborPolicy('bad', { targets: [{ type: 'http', address: 'http://127.0.0.1:9/', ...over }] });
    const bodies: Array<[string, unknown]> = [
      ['malformed JSON', '{"name": '],
      ['a JSON array', '[]'],
      ['an unknown field', { ...harborPolicy('bad'), colour: 'red' }],
      ['a blank name', harborPolicy('   ')],
      ['a name with a control character', harborPolicy('a\u0007b')],
      ['a name too long', harborPolicy('n'.repeat(257))],
      ['no targets', { ...harborPolicy('bad'), targets: undefined }],
      ['an empty target list', harborPolicy('bad', { targets: [] })],
      ['too many targets', harborPolicy('bad', { targets: Array.from({ length: 11 }, (_, i) => ({ type: 'http', address: `http://127.0.0.1:9/${i}` })) })],
      ['no event types', { ...harborPolicy('bad'), event_types: undefined }],
      ['an empty event type list', harborPolicy('bad', { event_types: [] })],
      ['an unknown event type', harborPolicy('bad', { event_types: ['PUSH_ARTIFACT', 'EXPLODE_ARTIFACT'] })],
      ['an event type Berth does not send yet', harborPolicy('bad', { event_types: ['REPLICATION'] })],
      ['an event type that is not a string', harborPolicy('bad', { event_types: [1] })],
      ['a target without address', harborPolicy('bad', { targets: [{ type: 'http' }] })],
      ['a target with an unknown field', target({ attachment: 'x' })],
      ['a slack target', target({ type: 'slack' })],
      ['an unknown payload format', target({ payload_format: 'Slack' })],
      ['an ftp address', target({ address: 'ftp://127.0.0.1/hook' })],
      ['a javascript: address', target({ address: 'javascript:alert(1)' })],
      ['an address that is not a URL', target({ address: 'not a url' })],
      ['an empty address', target({ address: '' })],
      ['an address without host', target({ address: 'http://' })],
      ['an address with credentials', target({ address: 'http://user:pw@127.0.0.1/hook' })],
      ['an address with a fragment', target({ address: 'http://127.0.0.1/hook#x' })],
      ['an address too long', target({ address: `http://127.0.0.1/${'a'.repeat(2100)}` })],
      ['an auth header with a line break', target({ auth_header: 'Bearer x\r\nX-Evil: 1' })],
      ['an auth header that is the mask with nothing stored', target({ auth_header: '******' })],
      ['skip_cert_verify as a string', target({ skip_cert_verify: 'yes' })],
      ['filters as a list', harborPolicy('bad', { filters: ['x'] })],
      ['a repository filter as a string', harborPolicy('bad', { filters: { repositories: 'team/**' } })],
      ['an unknown filter', harborPolicy('bad', { filters: { labels: ['x'] } })],
      ['an empty pattern', harborPolicy('bad', { filters: { repositories: [''] } })],
      ['a pattern with a space', harborPolicy('bad', { filters: { repositories: ['team app'] } })],
      ['an unbalanced pattern', harborPolicy('bad', { filters: { tags: ['v[1'] } })],
      ['a tag pattern with a slash', harborPolicy('bad', { filters: { tags: ['a/b'] } })],
      ['too many patterns', harborPolicy('bad', { filters: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } })],
      ['a timeout of 0', harborPolicy('bad', { timeout_seconds: 0 })],
      ['a timeout over 300 s', harborPolicy('bad', { timeout_seconds: 301 })],
      ['a timeout as a string', harborPolicy('bad', { timeout_seconds: '10' })],
      ['a fractional timeout', harborPolicy('bad', { timeout_seconds: 1.5 })],
      ['no attempts', harborPolicy('bad', { max_attempts: 0 })],
      ['too many attempts', harborPolicy('bad', { max_attempts: 51 })],
      ['a secret with a control character', harborPolicy('bad', { secret: 'a\nb' })],
      ['a secret as a number', harborPolicy('bad', { secret: 12345 })],
      ['enabled as a string', harborPolicy('bad', { enabled: 'yes' })],
    ];

    it.each(bodies)('refuses a policy with %s with 400 and writes nothing', async (_label, body) => {
      const before = await server.services.db.knex('webhook_policies').count<Array<{ count: string }>>('* as count');
      for (const [method, path] of [['POST', base], ['PUT', `${base}/${id}`]] as const) {
        const res = await api(method, path, body);
        expect(res.status, `${method}: ${await res.clone().text()}`).toBe(400);
        expect(await res.json()).toEqual({ errors: [{ code: 'BAD_REQUEST', message: expect.any(String) }] });
      }
      expect(await server.services.db.knex('webhook_policies').count<Array<{ count: string }>>('* as count')).toEqual(before);
      expect((await get(id)).name).toBe('bad-input-target');
    });

    it('needs a name to create a policy (an update without one keeps the name)', async () => {
      const res = await api('POST', base, { ...harborPolicy('x'), name: undefined });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: [{ code: 'BAD_REQUEST', message: 'name is required' }] });
      expect((await api('PUT', `${base}/${id}`, { ...harborPolicy('x'), name: undefined })).status).toBe(200);
      expect((await get(id)).name).toBe('bad-input-target');
    });

    it('refuses a body over 1 MiB with 413', async () => {
      const res = await api('POST', base, { ...harborPolicy('huge'), description: 'x'.repeat(1024 * 1024 + 10) });
      expect(res.status).toBe(413);
      expect((await res.json()).errors[0].code).toBeTruthy();
    });

    const policyPath = () => `${base}/${id}`;
    const routes: Array<[string, string, () => string, number, string]> = [
      ['a non-numeric policy id', 'GET', () => `${base}/abc`, 400, 'BAD_REQUEST'],
      ['a negative policy id', 'PUT', () => `${base}/-1`, 400, 'BAD_REQUEST'],
      ['a hexadecimal policy id', 'DELETE', () => `${base}/0x10`, 400, 'BAD_REQUEST'],
      ['an overlong policy id', 'GET', () => `${base}/99999999999999`, 400, 'BAD_REQUEST'],
      ['an unknown policy id', 'GET', () => `${base}/987654`, 404, 'NOT_FOUND'],
      ['an unknown policy id on delete', 'DELETE', () => `${base}/987654`, 404, 'NOT_FOUND'],
      ["another project's policy", 'GET', () => `${base}/${otherProjectPolicy}`, 404, 'NOT_FOUND'],
      ["another project's policy on delete", 'DELETE', () => `${base}/${otherProjectPolicy}`, 404, 'NOT_FOUND'],
      ['an unknown project', 'GET', () => '/projects/nope/webhook/policies', 404, 'NOT_FOUND'],
      ['an unknown project on events', 'GET', () => '/projects/nope/webhook/events', 404, 'NOT_FOUND'],
      ['an unknown project on lasttrigger', 'GET', () => '/projects/nope/webhook/lasttrigger', 404, 'NOT_FOUND'],
      ['page 0', 'GET', () => `${base}?page=0`, 400, 'BAD_REQUEST'],
      ['a page size that is not a number', 'GET', () => `${base}?page_size=ten`, 400, 'BAD_REQUEST'],
      ['an unknown query key', 'GET', () => `${base}?q=colour%3Dred`, 400, 'BAD_REQUEST'],
      ['an unknown sort key', 'GET', () => `${base}?sort=colour`, 400, 'BAD_REQUEST'],
      ['a bad execution id', 'GET', () => `${policyPath()}/executions/x/tasks`, 400, 'BAD_REQUEST'],
      ['an unknown execution', 'GET', () => `${policyPath()}/executions/123456/tasks`, 404, 'NOT_FOUND'],
      ['a bad task id', 'GET', () => `${policyPath()}/executions/1/tasks/x/log`, 400, 'BAD_REQUEST'],
      ['a task of another execution', 'GET', () => `${policyPath()}/executions/1/tasks/2/log`, 404, 'NOT_FOUND'],
      ['an unknown execution status', 'GET', () => `${policyPath()}/executions?q=status%3DExploded`, 400, 'BAD_REQUEST'],
      ['a fuzzy execution status', 'GET', () => `${policyPath()}/executions?q=status%3D~Succ`, 400, 'BAD_REQUEST'],
      ['an execution sort key', 'GET', () => `${policyPath()}/executions?sort=colour`, 400, 'BAD_REQUEST'],
      ['executions of an unknown policy', 'GET', () => `${base}/987654/executions`, 404, 'NOT_FOUND'],
      ['an unknown delivery status', 'GET', () => `${policyPath()}/deliveries?status=lost`, 400, 'BAD_REQUEST'],
      ['a bad delivery id', 'GET', () => `${policyPath()}/deliveries/1.5`, 400, 'BAD_REQUEST'],
      ['an unknown delivery', 'GET', () => `${policyPath()}/deliveries/123456`, 404, 'NOT_FOUND'],
      ['redelivering a bad id', 'POST', () => `${policyPath()}/deliveries/zero/redeliver`, 400, 'BAD_REQUEST'],
      ['redelivering an unknown delivery', 'POST', () => `${policyPath()}/deliveries/123456/redeliver`, 404, 'NOT_FOUND'],
      ['deliveries of a policy of another project', 'GET', () => `${base}/${otherProjectPolicy}/deliveries`, 404, 'NOT_FOUND'],
      ['a method the route lacks', 'PATCH', () => policyPath(), 405, 'METHOD_NOT_ALLOWED'],
    ];

    it.each(routes)('answers %s with the Harbor envelope', async (_label, method, path, status, code) => {
      const res = await api(method, path());
      expect(res.status, await res.clone().text()).toBe(status);
      expect(await res.json()).toEqual({ errors: [{ code, message: expect.any(String) }] });
    });
  });
});
