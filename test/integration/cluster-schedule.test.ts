import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { adminPassword, type TestServer } from '../helpers/test-server.ts';

/**
 * Two real Berth processes on one PostgreSQL database, both arming every schedule: each tick of a schedule runs
 * once in the cluster, not once per process, and the schedule keeps firing when one of them stops.
 */
describe('schedules in a cluster of two Berth processes on one PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  const nodes: BerthProcess[] = [];
  let api: ApiCall;

  const purgeJobs = async (): Promise<Array<{ id: number; dedupe_key: string | null; status: string; attempts: number }>> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(`select id, dedupe_key, status, attempts from jobs where type = 'audit.purge' order by id`)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createPostgresDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-cluster-'));
    const config = path.join(dir, 'berth.yaml');
    // Short poll and reload intervals so the test sees a schedule change within a second on both nodes.
    await writeFile(config, 'jobs:\n  pollMs: 50\n  scheduleReloadSeconds: 1\n');
    // Both start at once on an empty database: one migrates, the other waits for it.
    nodes.push(...(await Promise.all([0, 1].map(() => startBerthProcess({ env: { DATABASE_URL: db.url, BERTH_CONFIG: config } })))));
    api = apiClient({ url: nodes[0]!.url, adminAuth: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } as TestServer);
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs one job per tick while both run, and goes on ticking when one stops', async () => {
    // Every second, a dry run (it deletes nothing), set through the first node.
    const res = await api('PUT', '/system/purgeaudit/schedule', { schedule: { type: 'Custom', cron: '* * * * * *' }, parameters: { audit_retention_hour: 1, dry_run: true } });
    expect(res.status, await res.text()).toBe(200);
    await new Promise((r) => setTimeout(r, 5_500));
    const together = await purgeJobs();
    // The second node stops; the first carries on alone.
    await nodes[1]!.stop();
    nodes.splice(1, 1);
    const stoppedAt = together.length;
    await new Promise((r) => setTimeout(r, 2_500));
    await api('PUT', '/system/purgeaudit/schedule', { schedule: { type: 'None' } });
    await new Promise((r) => setTimeout(r, 1_500));
    const jobs = await purgeJobs();

    const keys = jobs.map((j) => j.dedupe_key!);
    // One job per tick: no key twice, and the ticks are consecutive seconds (none skipped, none doubled).
    expect(new Set(keys).size).toBe(keys.length);
    const seconds = keys.map((k) => Date.parse(k.replace(/^schedule:audit-log-purge:/, '')) / 1000);
    expect(seconds.every((s) => Number.isInteger(s))).toBe(true);
    const span = seconds[seconds.length - 1]! - seconds[0]! + 1;
    expect(keys.length).toBeGreaterThanOrEqual(5);
    expect(span - keys.length).toBeLessThanOrEqual(1);
    expect(jobs.length).toBeGreaterThan(stoppedAt);
    // Each ran once (one attempt) and finished.
    expect(jobs.every((j) => j.status === 'succeeded' && j.attempts === 1)).toBe(true);
  });
});
