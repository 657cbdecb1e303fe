import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../../helpers/berth-process.ts';
import { OciTestClient } from '../../helpers/oci-client.ts';
import { jsonOf, startWebhookReceiver, validSignature, type WebhookReceiver } from '../../helpers/webhook-receiver.ts';
import { adminAuth, waitFor } from './helpers.ts';

type Json = Record<string, any>;

const secret = 'crash-test-secret';
const images = 5;

/**
 * Deliveries are jobs in the database: a Berth process killed with SIGKILL while some deliveries are in flight
 * (their receiver has them and has not answered) and others wait for a worker loses none of them. The next
 * process on the same data takes the in-flight ones over once their lease runs out and sends the waiting ones, and
 * for every delivery the receiver sees exactly as many requests as the attempt log holds, because each attempt is
 * logged before its request goes out.
 */
describe('webhook deliveries across a SIGKILL', () => {
  let dataDir: string;
  let configDir: string;
  let proc: BerthProcess | undefined;
  let receiver: WebhookReceiver;
  let answer: 200 | 'hang' = 'hang';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-webhook-crash-'));
    configDir = await mkdtemp(path.join(os.tmpdir(), 'berth-webhook-crash-config-'));
    // Short leases so the restarted process takes the killed one's jobs over quickly; two jobs at a time, so
    // some deliveries are in flight and the others wait when the process dies.
    await writeFile(
      path.join(configDir, 'berth.json'),
      JSON.stringify({ jobs: { leaseSeconds: 2, pollMs: 100, concurrency: 2 }, webhooks: { retryInitialDelayMs: 100 } }),
    );
    receiver = await startWebhookReceiver(() => answer);
  });
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(configDir, { recursive: true, force: true });
  });

  const start = () => startBerthProcess({ dataDir, env: { BERTH_CONFIG: path.join(configDir, 'berth.json') } });
  const api = async (method: string, p: string, body?: unknown): Promise<Response> =>
    fetch(`${proc!.url}/api/v2.0${p}`, {
      method,
      headers: { authorization: adminAuth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('delivers every event after a restart, with one request per logged attempt', async () => {
    proc = await start();
    expect((await api('POST', '/projects', { project_name: 'crash' })).status).toBe(201);
    const created = await api('POST', '/projects/crash/webhook/policies', {
      name: 'survivor',
      event_types: ['PUSH_ARTIFACT'],
      secret,
      timeout_seconds: 120,
      targets: [{ type: 'http', address: `${receiver.url}/hook` }],
    });
    expect(created.status).toBe(201);
    const policyPath = `/projects/crash/webhook/policies/${created.headers.get('location')!.split('/').pop()}`;
    const registry = new OciTestClient(proc.url, adminAuth);
    for (let i = 0; i < images; i++) await registry.pushImage(`crash/app-${i}`, 'v1');

    // Two deliveries are at the receiver, unanswered; the rest wait for a free worker.
    await receiver.waitFor(2, 'the first two deliveries');
    const before = (await (await api('GET', `${policyPath}/deliveries?page_size=100`)).json()) as Json[];
    expect(before).toHaveLength(images);
    expect(before.every((d) => d.status === 'pending')).toBe(true);
    expect(before.filter((d) => d.attempts === 1)).toHaveLength(2);
    expect(receiver.requests).toHaveLength(2);

    await proc.kill('SIGKILL');
    answer = 200;
    proc = await start();

    const after = await waitFor(
      'every delivery to succeed',
      async () => {
        const list = (await (await api('GET', `${policyPath}/deliveries?page_size=100`)).json()) as Json[];
        return list.length === images && list.every((d) => d.status === 'succeeded') ? list : undefined;
      },
      90_000,
    );

    for (const delivery of after) {
      const seen = receiver.forDelivery(delivery.id);
      expect(seen.length, `delivery ${delivery.id}`).toBe(delivery.attempt_log.length);
      expect(seen.map((r) => r.headers['x-berth-attempt'])).toEqual(delivery.attempt_log.map((a: Json) => String(a.attempt)));
      expect(seen.every((r) => validSignature(r, secret))).toBe(true);
      expect(delivery.attempts).toBe(delivery.attempt_log.length);
      // The last attempt is the one that got through.
      expect(delivery.attempt_log.at(-1)).toMatchObject({ status_code: 200, succeeded: true });
    }
    // The two cut off by the kill show their unfinished first attempt, then the one that got through.
    const interrupted = after.filter((d) => d.attempt_log.length === 2);
    expect(interrupted).toHaveLength(2);
    for (const d of interrupted) expect(d.attempt_log[0]).toMatchObject({ attempt: 1, succeeded: null, status_code: null });
    expect(after.filter((d) => d.attempt_log.length === 1)).toHaveLength(images - 2);

    // Every pushed image got its event through.
    const repositories = after.map((d) => jsonOf(receiver.forDelivery(d.id).at(-1)!).event_data.repository.repo_full_name).sort();
    expect(repositories).toEqual(Array.from({ length: images }, (_, i) => `crash/app-${i}`));
  }, 180_000);
});
