import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveriesRepo } from '../../server/webhooks/deliveries.repo.ts';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { jsonOf, startWebhookReceiver, validSignature, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { waitFor } from '../helpers/wait.ts';

type Json = Record<string, any>;

const secret = 'receiver-shared-secret';

/**
 * Deliveries end to end: pushes, pulls and deletes through /v2 reach a receiver on loopback in each format, signed,
 * retried with backoff (the first wait shortened through `webhooks.retryInitialDelayMs`), logged attempt by attempt,
 * filtered, and redelivered on request.
 */
describe.each(databaseKinds)('webhook deliveries on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let registry: OciTestClient;
  let receiver: WebhookReceiver;
  let host: string;
  let projectId: number;
  /** Per path: how to answer (default 200). */
  const answers = new Map<string, (req: ReceivedRequest) => number | 'hang'>();

  beforeAll(async () => {
    server = await createTestServer({ database, config: { jobs: { pollMs: 50 }, webhooks: { retryInitialDelayMs: 50, retryMaxDelayMs: 400 } } });
    api = apiClient(server);
    registry = new OciTestClient(server.url, server.adminAuth);
    host = new URL(server.url).host;
    receiver = await startWebhookReceiver((req) => answers.get(req.path)?.(req) ?? 200);
    expect((await api('POST', '/projects', { project_name: 'wh', metadata: { public: 'false' } })).status).toBe(201);
    projectId = ((await (await api('GET', '/projects/wh')).json()) as Json).project_id;
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
    await server?.stop();
  });

  const createPolicy = async (project: string, body: Json): Promise<number> => {
    const res = await api('POST', `/projects/${project}/webhook/policies`, { enabled: true, ...body });
    expect(res.status, await res.clone().text()).toBe(201);
    return Number(res.headers.get('location')!.split('/').pop());
  };
  const target = (path: string, over: Json = {}): Json => ({ type: 'http', address: `${receiver.url}${path}`, ...over });
  const deliveries = async (project: string, policy: number, query = ''): Promise<Json[]> => {
    const res = await api('GET', `/projects/${project}/webhook/policies/${policy}/deliveries?page_size=100${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Json[];
  };
  const settled = (project: string, policy: number, n: number) =>
    waitFor(`${n} settled deliveries of policy ${policy}`, async () => {
      const list = await deliveries(project, policy);
      return list.length >= n && list.every((d) => d.status !== 'pending') && list;
    });
  const at = (path: string) => receiver.requests.filter((r) => r.path === path);

  it('sends a push to Default, CloudEvents and Rainbond targets with their bodies, headers and a valid HMAC', async () => {
    const policy = await createPolicy('wh', {
      name: 'three-formats',
      event_types: ['PUSH_ARTIFACT'],
      secret,
      targets: [
        target('/default', { auth_header: 'Bearer token-for-receiver' }),
        target('/cloudevents', { payload_format: 'CloudEvents' }),
        target('/rainbond', { payload_format: 'Rainbond' }),
      ],
    });
    const image = await registry.pushImage('wh/app', 'v1');
    await waitFor('three requests', async () => at('/default').length + at('/cloudevents').length + at('/rainbond').length >= 3);
    const [plain, cloud, rainbond] = [at('/default')[0]!, at('/cloudevents')[0]!, at('/rainbond')[0]!];
    const list = await settled('wh', policy, 3);

    for (const req of [plain, cloud, rainbond]) {
      expect(req.method).toBe('POST');
      expect(validSignature(req, secret)).toBe(true);
      expect(validSignature(req, 'another-secret')).toBe(false);
      expect(req.headers['x-berth-event']).toBe('PUSH_ARTIFACT');
      expect(req.headers['x-berth-attempt']).toBe('1');
      expect(req.headers['user-agent']).toMatch(/^Berth-Webhook\//);
      expect(list.map((d) => String(d.id))).toContain(req.headers['x-berth-delivery']);
    }
    expect(plain.headers.authorization).toBe('Bearer token-for-receiver');
    expect(cloud.headers).not.toHaveProperty('authorization');
    expect(plain.headers['content-type']).toBe('application/json');
    expect(cloud.headers['content-type']).toBe('application/cloudevents+json');
    expect(rainbond.headers['content-type']).toBe('application/json');

    const repository = { date_created: expect.any(Number), name: 'app', namespace: 'wh', repo_full_name: 'wh/app', repo_type: 'private' };
    const resources = [{ digest: image.digest, tag: 'v1', resource_url: `${host}/wh/app:v1` }];
    const body = jsonOf(plain);
    expect(body).toEqual({ type: 'PUSH_ARTIFACT', occur_at: expect.any(Number), operator: 'admin', event_data: { resources, repository } });
    expect(Math.abs(body.occur_at - Date.now() / 1000)).toBeLessThan(600);
    expect(Math.abs(body.event_data.repository.date_created - Date.now() / 1000)).toBeLessThan(600);

    const ce = jsonOf(cloud);
    expect(ce).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      requestid: expect.any(String),
      source: `/projects/${projectId}/webhook/policies/${policy}`,
      type: 'harbor.artifact.pushed',
      datacontenttype: 'application/json',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      data: { resources, repository },
      operator: 'admin',
    });

    const rb = jsonOf(rainbond);
    expect(rb).toMatchObject({ type: 'PUSH_ARTIFACT', operator: 'admin', event_data: { resources, repository } });
    expect(rb.push_data).toEqual({ pushed_at: body.occur_at, pusher: 'admin', tag: 'v1' });
    expect(rb.repository).toMatchObject({ name: 'app', namespace: 'wh', repo_name: `${host}/wh/app`, is_private: true });

    // The log: each delivery succeeded at its first attempt, with the receiver's status.
    expect(list.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const d of list) {
      expect(d).toMatchObject({ attempts: 1, last_status_code: 200, last_error: null, event_type: 'PUSH_ARTIFACT', redelivery_of: null });
      expect(d.attempt_log).toEqual([{ attempt: 1, started_at: expect.any(String), duration_ms: expect.any(Number), status_code: 200, error: null, succeeded: true }]);
    }
    // One event, one id for all three.
    expect(new Set(list.map((d) => d.event_id)).size).toBe(1);
    expect(list[0]!.event_id).toBe(ce.id);
    await api('DELETE', `/projects/wh/webhook/policies/${policy}`);
  });

  it('gets the event to a receiver that answers 500 three times on the fourth attempt, and logs all four', async () => {
    let failures = 0;
    answers.set('/flaky', () => (failures++ < 3 ? 500 : 200));
    const policy = await createPolicy('wh', { name: 'flaky', event_types: ['PUSH_ARTIFACT'], secret, targets: [target('/flaky')] });
    await registry.pushImage('wh/flaky', '1.0');
    const [delivery] = await settled('wh', policy, 1);
    const got = at('/flaky');
    expect(got.map((r) => r.headers['x-berth-attempt'])).toEqual(['1', '2', '3', '4']);
    // The same bytes each time, each signed.
    expect(new Set(got.map((r) => r.body.toString())).size).toBe(1);
    expect(got.every((r) => validSignature(r, secret))).toBe(true);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 4, last_status_code: 200, last_error: null });
    expect(delivery!.attempt_log.map((a: Json) => [a.attempt, a.status_code, a.succeeded])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, false],
      [4, 200, true],
    ]);
    expect(delivery!.attempt_log[0].error).toMatch(/^HTTP 500/);

    // Harbor's execution views of the same delivery.
    const executions = (await (await api('GET', `/projects/wh/webhook/policies/${policy}/executions`)).json()) as Json[];
    expect(executions).toEqual([
      expect.objectContaining({
        id: delivery!.id,
        vendor_type: 'WEBHOOK',
        vendor_id: policy,
        status: 'Success',
        trigger: 'EVENT',
        metrics: expect.objectContaining({ task_count: 1, success_task_count: 1, error_task_count: 0 }),
        extra_attrs: expect.objectContaining({ event_type: 'PUSH_ARTIFACT' }),
      }),
    ]);
    const tasks = (await (await api('GET', `/projects/wh/webhook/policies/${policy}/executions/${delivery!.id}/tasks`)).json()) as Json[];
    expect(tasks).toEqual([expect.objectContaining({ id: delivery!.id, execution_id: delivery!.id, status: 'Success', run_count: 4 })]);
    const log = await api('GET', `/projects/wh/webhook/policies/${policy}/executions/${delivery!.id}/tasks/${delivery!.id}/log`);
    expect(log.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = (await log.text()).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('attempt 1: POST');
    expect(lines[0]).toContain('HTTP 500');
    expect(lines[3]).toContain('HTTP 200, delivered');
  });

  it('gives up after max_attempts, keeps the error, and redelivers the stored body on request', async () => {
    let status = 503;
    answers.set('/down', () => status);
    const policy = await createPolicy('wh', { name: 'down', event_types: ['PUSH_ARTIFACT'], max_attempts: 2, secret, targets: [target('/down')] });
    await registry.pushImage('wh/down', 'v1');
    const [failed] = await settled('wh', policy, 1);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, last_status_code: 503, last_error: expect.stringMatching(/^HTTP 503/) });
    expect(at('/down')).toHaveLength(2);
    const executions = (await (await api('GET', `/projects/wh/webhook/policies/${policy}/executions?q=status%3DError`)).json()) as Json[];
    expect(executions.map((e) => [e.id, e.status])).toEqual([[failed!.id, 'Error']]);

    status = 200;
    const res = await api('POST', `/projects/wh/webhook/policies/${policy}/deliveries/${failed!.id}/redeliver`);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    expect(res.headers.get('location')).toBe(`/api/v2.0/projects/wh/webhook/policies/${policy}/deliveries/${id}`);
    await waitFor('the redelivery', async () => at('/down').length === 3);
    const again = (await (await api('GET', `/projects/wh/webhook/policies/${policy}/deliveries/${id}`)).json()) as Json;
    const original = (await (await api('GET', `/projects/wh/webhook/policies/${policy}/deliveries/${failed!.id}`)).json()) as Json;
    expect(again).toMatchObject({ redelivery_of: failed!.id, event_id: original.event_id });
    expect(again.payload).toBe(original.payload);
    const [first, , third] = at('/down');
    expect(third!.body.equals(first!.body)).toBe(true);
    expect(third!.headers['x-berth-delivery']).toBe(String(id));
    expect(third!.headers['x-berth-attempt']).toBe('1');
    expect(validSignature(third!, secret)).toBe(true);
    await waitFor('the redelivery to settle', async () => ((await (await api('GET', `/projects/wh/webhook/policies/${policy}/deliveries/${id}`)).json()) as Json).status === 'succeeded');
    // The original stays failed; the log pages.
    const page = await api('GET', `/projects/wh/webhook/policies/${policy}/deliveries?page=1&page_size=1&status=failed`);
    expect(page.headers.get('x-total-count')).toBe('1');
    expect(((await page.json()) as Json[]).map((d) => d.id)).toEqual([failed!.id]);

    // A disabled policy does not redeliver.
    const read = (await (await api('GET', `/projects/wh/webhook/policies/${policy}`)).json()) as Json;
    expect((await api('PUT', `/projects/wh/webhook/policies/${policy}`, { ...read, enabled: false })).status).toBe(200);
    const refused = await api('POST', `/projects/wh/webhook/policies/${policy}/deliveries/${failed!.id}/redeliver`);
    expect(refused.status).toBe(412);
    expect((await refused.json()).errors[0].code).toBe('PRECONDITION');
  });

  it('fails an attempt the receiver does not answer within the timeout', async () => {
    answers.set('/slow', () => 'hang');
    const policy = await createPolicy('wh', { name: 'slow', event_types: ['PUSH_ARTIFACT'], timeout_seconds: 1, max_attempts: 1, targets: [target('/slow')] });
    await registry.pushImage('wh/slow', 'v1');
    const [delivery] = await settled('wh', policy, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null, last_error: expect.stringContaining('timeout') });
    expect(delivery!.attempt_log[0]).toMatchObject({ status_code: null, succeeded: false, duration_ms: expect.any(Number) });
    expect(delivery!.attempt_log[0].duration_ms).toBeGreaterThanOrEqual(900);
  });

  it('checks an https receiver\'s certificate unless the target says skip_cert_verify', async () => {
    const tls = { key: await readFile('test/fixtures/tls/self-signed.key'), cert: await readFile('test/fixtures/tls/self-signed.crt') };
    const secure = await startWebhookReceiver(() => 200, { tls });
    try {
      const strict = await createPolicy('wh', { name: 'tls-strict', event_types: ['PUSH_ARTIFACT'], max_attempts: 1, targets: [{ type: 'http', address: `${secure.url}/strict` }] });
      const lax = await createPolicy('wh', {
        name: 'tls-lax',
        event_types: ['PUSH_ARTIFACT'],
        max_attempts: 1,
        targets: [{ type: 'http', address: `${secure.url}/lax`, skip_cert_verify: true }],
      });
      await registry.pushImage('wh/tls', 'v1');
      const [refused] = await settled('wh', strict, 1);
      const [accepted] = await settled('wh', lax, 1);
      expect(refused).toMatchObject({ status: 'failed', last_status_code: null, last_error: expect.stringMatching(/certificate/i) });
      expect(accepted).toMatchObject({ status: 'succeeded', last_status_code: 200 });
      expect(secure.requests.map((r) => r.path)).toEqual(['/lax']);
    } finally {
      await secure.close();
      for (const name of ['tls-strict', 'tls-lax']) {
        const [p] = (await (await api('GET', `/projects/wh/webhook/policies?q=name%3D${name}`)).json()) as Json[];
        await api('DELETE', `/projects/wh/webhook/policies/${p!.id}`);
      }
    }
  });

  it('sends pulls and deletes to the policies that want them, naming the tag or the digest', async () => {
    const policy = await createPolicy('wh', { name: 'pull-delete', event_types: ['PULL_ARTIFACT', 'DELETE_ARTIFACT'], targets: [target('/pull-delete')] });
    const image = await registry.pushImage('wh/lifecycle', 'stable');
    // One at a time: deliveries run concurrently, so only the order of their events is known.
    expect((await registry.request('GET', '/v2/wh/lifecycle/manifests/stable', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(200);
    await waitFor('the pull by tag', async () => at('/pull-delete').length >= 1);
    expect((await registry.request('GET', `/v2/wh/lifecycle/manifests/${image.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(200);
    await waitFor('the pull by digest', async () => at('/pull-delete').length >= 2);
    expect((await registry.request('DELETE', `/v2/wh/lifecycle/manifests/${image.digest}`)).status).toBe(202);
    await waitFor('the delete', async () => at('/pull-delete').length >= 3);
    const bodies = at('/pull-delete').map((r) => jsonOf(r));
    expect(bodies.map((b) => [b.type, b.event_data.resources[0].tag])).toEqual([
      ['PULL_ARTIFACT', 'stable'],
      ['PULL_ARTIFACT', image.digest],
      ['DELETE_ARTIFACT', 'stable'],
    ]);
    expect(bodies[1]!.event_data.resources[0].resource_url).toBe(`${host}/wh/lifecycle@${image.digest}`);
    expect(at('/pull-delete').map((r) => r.headers['x-berth-event'])).toEqual(['PULL_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT']);
    // The push was not subscribed, and the last-trigger view shows what was.
    const triggers = (await (await api('GET', '/projects/wh/webhook/lasttrigger')).json()) as Json[];
    const mine = triggers.filter((t) => t.policy_name === 'pull-delete');
    expect(mine.map((t) => [t.event_type, typeof t.last_trigger_time])).toEqual([
      ['PULL_ARTIFACT', 'string'],
      ['DELETE_ARTIFACT', 'string'],
    ]);
    await api('DELETE', `/projects/wh/webhook/policies/${policy}`);
  });

  it('drops what the filters, a disabled policy or an unsubscribed type exclude', async () => {
    expect((await api('POST', '/projects', { project_name: 'flt' })).status).toBe(201);
    const everything = await createPolicy('flt', { name: 'everything', event_types: ['PUSH_ARTIFACT'], targets: [target('/f/all')] });
    const filtered = await createPolicy('flt', {
      name: 'filtered',
      event_types: ['PUSH_ARTIFACT'],
      filters: { repositories: ['team/**'], tags: ['v*'] },
      targets: [target('/f/filtered')],
    });
    const disabled = await createPolicy('flt', { name: 'disabled', enabled: false, event_types: ['PUSH_ARTIFACT'], targets: [target('/f/disabled')] });
    const deletesOnly = await createPolicy('flt', { name: 'deletes-only', event_types: ['DELETE_ARTIFACT'], targets: [target('/f/deletes')] });
    const pushes: Array<[string, string]> = [
      ['flt/team/api', 'v1'],
      ['flt/team/api', 'latest'],
      ['flt/other', 'v2'],
      ['flt/team/deep/web', 'v3.1'],
      ['flt/teams', 'v4'],
    ];
    for (const [repo, tag] of pushes) await registry.pushImage(repo, tag);
    // The catch-all policy saw every push: every event has been dispatched, to every policy, by now.
    const all = await settled('flt', everything, pushes.length);
    expect(all).toHaveLength(pushes.length);
    const passed = await settled('flt', filtered, 2);
    const tags = passed.map((d) => {
      const req = receiver.forDelivery(d.id)[0]!;
      const b = jsonOf(req);
      return `${b.event_data.repository.repo_full_name}:${b.event_data.resources[0].tag}`;
    });
    expect(tags.sort()).toEqual(['flt/team/api:v1', 'flt/team/deep/web:v3.1']);
    expect(await deliveries('flt', disabled)).toEqual([]);
    expect(await deliveries('flt', deletesOnly)).toEqual([]);
    expect(at('/f/disabled')).toEqual([]);
    expect(at('/f/deletes')).toEqual([]);

    // Enabling the policy lets the next push through at once (the subscriber's cache follows the change).
    const read = (await (await api('GET', `/projects/flt/webhook/policies/${disabled}`)).json()) as Json;
    expect((await api('PUT', `/projects/flt/webhook/policies/${disabled}`, { ...read, enabled: true })).status).toBe(200);
    await registry.pushImage('flt/after', 'v1');
    expect(await settled('flt', disabled, 1)).toHaveLength(1);
  });

  it('purges finished deliveries past the retention with their attempts, and keeps the rest', async () => {
    const knex = server.services.db.knex;
    const finished = (await knex('webhook_deliveries').whereIn('status', ['succeeded', 'failed']).orderBy('id').select('id')).map((r: Json) => Number(r.id));
    expect(finished.length).toBeGreaterThan(2);
    const [old, other] = finished as [number, number];
    await knex('webhook_deliveries').where({ id: old }).update({ updated_at: new Date(Date.now() - 30 * 86_400_000) });
    // A pending delivery is never purged, however old.
    await knex('webhook_deliveries').where({ id: other }).update({ status: 'pending', updated_at: new Date(Date.now() - 30 * 86_400_000) });
    expect(await deliveriesRepo.purgeFinished(knex, new Date(Date.now() - 14 * 86_400_000))).toBe(1);
    expect(await knex('webhook_deliveries').where({ id: old }).first()).toBeUndefined();
    expect(await knex('webhook_attempts').where({ delivery_id: old })).toEqual([]);
    expect(await knex('webhook_deliveries').where({ id: other }).first()).toBeDefined();
  });
});
