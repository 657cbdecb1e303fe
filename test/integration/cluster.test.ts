import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { adminPassword, type TestServer } from '../helpers/test-server.ts';
import { OciTestClient, ociManifestType } from '../helpers/oci-client.ts';

/**
 * Two real Berth processes on one PostgreSQL database: what one node changes, the other's caches follow (tags,
 * artifacts, projects, memberships, credentials, immutability rules, settings), and each tick of a schedule runs
 * once in the cluster, not once per process, going on when one node stops.
 */
describe('a cluster of two Berth processes on one PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  const nodes: BerthProcess[] = [];
  let api: ApiCall;
  let apiB: ApiCall;

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
    const adminAuth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
    api = apiClient({ url: nodes[0]!.url, adminAuth } as TestServer);
    apiB = apiClient({ url: nodes[1]!.url, adminAuth } as TestServer);
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Polls `probe` on the other node until it gives `want` (the change travels by NOTIFY, a moment after commit). */
  async function eventually<T>(what: string, probe: () => Promise<T>, want: T): Promise<void> {
    const deadline = Date.now() + 5_000;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await probe();
      if (last === want) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${what}: still ${String(last)}, wanted ${String(want)}`);
  }

  const adminB = () => new OciTestClient(nodes[1]!.url, `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`);
  const adminA = () => new OciTestClient(nodes[0]!.url, `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`);
  const digestAt = async (client: OciTestClient, ref: string): Promise<string | number> => {
    const res = await client.request('HEAD', `/v2/library/shared/manifests/${ref}`, { headers: { accept: ociManifestType } });
    return res.status === 200 ? res.headers.get('docker-content-digest')! : res.status;
  };

  it('serves a moved or deleted tag, and a deleted artifact, as the other node left them', async () => {
    const first = await adminA().pushImage('library/shared', 'v1');
    // Node B caches the tag and the artifact.
    expect(await digestAt(adminB(), 'v1')).toBe(first.digest);
    expect(await digestAt(adminB(), first.digest)).toBe(first.digest);
    const second = await adminA().pushImage('library/shared', 'v1');
    await eventually('the moved tag on node B', () => digestAt(adminB(), 'v1'), second.digest);
    expect((await adminA().request('DELETE', '/v2/library/shared/manifests/v1')).status).toBe(202);
    await eventually('the deleted tag on node B', () => digestAt(adminB(), 'v1'), 404);
    expect((await adminA().request('DELETE', `/v2/library/shared/manifests/${first.digest}`)).status).toBe(202);
    await eventually('the deleted artifact on node B', () => digestAt(adminB(), first.digest), 404);
  });

  it('applies project, membership, credential, immutability and settings changes made on the other node', async () => {
    const named = { 'X-Is-Resource-Name': 'true' };
    expect((await api('POST', '/projects', { project_name: 'shared', metadata: { public: 'true' } })).status).toBe(201);
    expect((await api('POST', '/users', { username: 'dev', email: 'dev@example.com', realname: 'Dev', password: 'Dev-Passw0rd' })).status).toBe(201);
    expect((await api('POST', '/projects/shared/members', { role_id: 2, member_user: { username: 'dev' } }, undefined, named)).status).toBe(201);
    const dev = new OciTestClient(nodes[1]!.url, `Basic ${Buffer.from('dev:Dev-Passw0rd').toString('base64')}`);
    const anonymousB = new OciTestClient(nodes[1]!.url);
    await dev.pushImage('shared/app', 'v1');
    // Node B has now cached the project (public), the membership (Developer) and the credentials.
    const anonPull = async () => (await anonymousB.request('HEAD', '/v2/shared/app/manifests/v1', { headers: { accept: ociManifestType } })).status;
    expect(await anonPull()).toBe(200);
    expect((await api('PUT', '/projects/shared', { metadata: { public: 'false' } }, undefined, named)).status).toBe(200);
    await eventually('the now private project on node B', anonPull, 401);

    const devPush = async () => (await dev.request('POST', '/v2/shared/app/blobs/uploads/')).status;
    expect(await devPush()).toBe(202);
    const members = (await (await api('GET', '/projects/shared/members', undefined, undefined, named)).json()) as Array<{ id: number; entity_name: string }>;
    const member = members.find((m) => m.entity_name === 'dev')!;
    expect((await api('PUT', `/projects/shared/members/${member.id}`, { role_id: 3 }, undefined, named)).status).toBe(200);
    await eventually('the Guest role on node B', devPush, 403);

    const me = async () => (await apiB('GET', '/users/current', undefined, `Basic ${Buffer.from('dev:Dev-Passw0rd').toString('base64')}`)).status;
    expect(await me()).toBe(200);
    const users = (await (await api('GET', '/users?q=username=dev')).json()) as Array<{ user_id: number }>;
    expect((await api('PUT', `/users/${users[0]!.user_id}/password`, { new_password: 'Dev-Passw0rd2' })).status).toBe(200);
    await eventually('the old password on node B', me, 401);

    await adminB().pushImage('shared/app', 'stable');
    const stable = (await adminB().pushImage('shared/app', 'scratch')).manifest;
    expect((await adminB().putManifest('shared/app', 'stable', stable)).status).toBe(201);
    expect((await api('POST', '/projects/shared/immutabletagrules', {
      disabled: false, action: 'immutable', template: 'immutable_template', params: {}, priority: 0,
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'stable' }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
    }, undefined, named)).status).toBe(201);
    // Probing by deleting: a delete that got through before the rule arrived is put back, so the next probe is fair.
    await eventually('the immutability rule on node B', async () => {
      const status = (await adminB().request('DELETE', '/v2/shared/app/manifests/stable')).status;
      if (status === 202) expect((await adminB().putManifest('shared/app', 'stable', stable)).status).toBe(201);
      return status;
    }, 412);

    const createOnB = async () => (await apiB('POST', '/projects', { project_name: `p${Date.now()}` }, `Basic ${Buffer.from('dev:Dev-Passw0rd2').toString('base64')}`)).status;
    expect((await api('PUT', '/configurations', { project_creation_restriction: 'adminonly' })).status).toBe(200);
    await eventually('the creation restriction on node B', createOnB, 403);
    expect((await api('PUT', '/configurations', { project_creation_restriction: 'everyone' })).status).toBe(200);
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
