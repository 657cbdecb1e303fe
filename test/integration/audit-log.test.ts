import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { adminPassword, createTestServer, type TestServer } from '../helpers/test-server.ts';

interface Entry {
  id: number;
  username: string;
  resource: string;
  resource_type: string;
  operation: string;
  op_time: string;
  address: string;
  count: number;
  operation_result?: boolean;
  operation_description?: string;
}

async function waitForJob(api: ApiCall, id: number): Promise<{ status: string; result: Record<string, unknown> | null }> {
  for (let i = 0; i < 400; i++) {
    const job = (await (await api('GET', `/jobs/${id}`)).json()) as { status: string; result: Record<string, unknown> | null };
    if (['succeeded', 'dead', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

describe.each(databaseKinds)('the audit log on %s', (kind) => {
  let server: TestServer;
  let api: ApiCall;
  const userPassword = 'Audit-Passw0rd';
  let robotSecret = '';
  let pushedDigest = '';

  beforeAll(async () => {
    // A long pull window, so repeated pulls within the test aggregate into one entry.
    server = await createTestServer({ database: kind, config: { audit: { pullAggregationMs: 60_000 }, jobs: { pollMs: 20 } } });
    api = apiClient(server);

    // Every kind of operation the log must record, by several operators.
    expect((await api('POST', '/users', { username: 'auditor', email: 'a@example.com', realname: 'A', password: userPassword })).status).toBe(201);
    expect((await api('POST', '/users', { username: 'guesty', email: 'g@example.com', realname: 'G', password: userPassword })).status).toBe(201);
    expect((await api('POST', '/projects', { project_name: 'audited', metadata: { public: 'false' } })).status).toBe(201);
    expect((await api('POST', '/projects/audited/members', { role_id: 4, member_user: { username: 'auditor' } }, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(201);
    expect((await api('POST', '/projects/audited/members', { role_id: 3, member_user: { username: 'guesty' } }, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(201);
    const robot = await api('POST', '/robots', { name: 'ci', level: 'project', duration: 1, permissions: [{ kind: 'project', namespace: 'audited', access: [{ resource: 'repository', action: 'pull' }] }] });
    robotSecret = ((await robot.json()) as { secret: string }).secret;
    expect((await api('PUT', '/projects/audited', { metadata: { auto_scan: 'true' } }, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(200);
    // A failed login.
    expect((await api('GET', '/users/current', undefined, basic('auditor', 'Wrong-Passw0rd'))).status).toBe(401);

    const maintainer = new OciTestClient(server.url, basic('auditor', userPassword));
    pushedDigest = (await maintainer.pushImage('audited/app', 'v1')).digest;
    for (let i = 0; i < 3; i++) expect((await maintainer.request('GET', '/v2/audited/app/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(200);
    expect((await maintainer.request('GET', `/v2/audited/app/manifests/${pushedDigest}`)).status).toBe(200);
    // A refused push: a Guest may not push.
    const guest = new OciTestClient(server.url, basic('guesty', userPassword));
    expect((await guest.request('POST', '/v2/audited/app/blobs/uploads/')).status).toBe(403);
    await maintainer.pushImage('audited/app', 'v2');
    expect((await maintainer.request('DELETE', '/v2/audited/app/manifests/v2')).status).toBe(202);
    expect((await maintainer.request('DELETE', `/v2/audited/app/manifests/${pushedDigest}`)).status).toBe(202);
    await server.services.audit.flush();
  });
  afterAll(async () => server?.stop());

  async function entries(path = '/audit-logs', auth?: string): Promise<Entry[]> {
    const res = await api('GET', `${path}${path.includes('?') ? '&' : '?'}page_size=100`, undefined, auth);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Entry[];
  }

  it('records each operation with its operator, source address, resource, operation and result', async () => {
    const log = await entries('/auditlog-exts');
    const find = (pred: (e: Entry) => boolean, what: string): Entry => {
      const e = log.find(pred);
      expect(e, `no entry for ${what} in ${JSON.stringify(log.map((x) => `${x.username} ${x.operation} ${x.resource_type} ${x.resource}`))}`).toBeDefined();
      return e!;
    };
    find((e) => e.username === 'admin' && e.resource_type === 'user' && e.operation === 'create' && e.resource === 'auditor', 'user creation');
    const created = find((e) => e.resource_type === 'project' && e.operation === 'create' && e.resource === 'audited', 'project creation');
    expect(created.address).toMatch(/127\.0\.0\.1/);
    find((e) => e.resource_type === 'project' && e.operation === 'update' && e.resource === 'audited', 'project update');
    find((e) => e.resource_type === 'member' && e.operation === 'create', 'member added');
    expect(find((e) => e.resource_type === 'robot' && e.operation === 'create' && e.resource === 'robot-audited+ci', 'robot creation').address).toMatch(/127\.0\.0\.1/);
    const failed = find((e) => e.resource_type === 'user' && e.operation === 'login' && e.resource === 'auditor' && e.operation_result === false, 'failed login');
    expect(failed.address).toMatch(/127\.0\.0\.1/);
    find((e) => e.username === 'auditor' && e.operation === 'login' && e.operation_result === true, 'successful login');
    const push = find((e) => e.username === 'auditor' && e.resource_type === 'artifact' && e.operation === 'create' && e.resource === 'audited/app:v1', 'push');
    expect(push.address).toMatch(/127\.0\.0\.1/);
    expect(push.operation_result).toBe(true);
    find((e) => e.resource_type === 'tag' && e.operation === 'delete' && e.resource === 'audited/app:v2', 'tag deletion');
    find((e) => e.resource_type === 'artifact' && e.operation === 'delete' && e.resource === `audited/app@${pushedDigest}`, 'artifact deletion');
    const refused = find((e) => e.username === 'guesty' && e.resource_type === 'request' && e.operation_result === false, 'refused push');
    expect(refused.resource).toBe('POST /v2/audited/app/blobs/uploads/');
    expect(refused.operation_description).toContain('403');
  });

  it('aggregates pulls of one artifact by one operator from one address into one entry with a count', async () => {
    const pulls = (await entries('/audit-logs?q=operation=pull')).filter((e) => e.username === 'auditor');
    const byTag = pulls.find((e) => e.resource === 'audited/app:v1');
    const byDigest = pulls.find((e) => e.resource === `audited/app@${pushedDigest}`);
    expect(byTag?.count).toBe(3);
    expect(byDigest?.count).toBe(1);
  });

  it('never stores a password, robot secret or credential', async () => {
    const rows = await server.services.db.knex('audit_logs').select('*');
    const dump = JSON.stringify(rows);
    for (const secret of [userPassword, 'Wrong-Passw0rd', adminPassword, robotSecret, Buffer.from(`auditor:${userPassword}`).toString('base64')]) {
      expect(dump).not.toContain(secret);
    }
    expect(rows.length).toBeGreaterThan(10);
  });

  it('filters with Harbor’s q, sorts and pages', async () => {
    const creates = await entries('/audit-logs?q=operation=create,resource_type=artifact');
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(creates.every((e) => e.operation === 'create' && e.resource_type === 'artifact')).toBe(true);
    const fuzzy = await entries('/audit-logs?q=resource=~app:v');
    expect(fuzzy.length).toBeGreaterThan(0);
    expect(fuzzy.every((e) => e.resource.includes('app:v'))).toBe(true);
    const future = await entries(`/audit-logs?q=op_time=[${encodeURIComponent('2999-01-01 00:00:00')}~]`);
    expect(future).toEqual([]);
    const ascending = await entries('/audit-logs?sort=op_time');
    const times = ascending.map((e) => Date.parse(e.op_time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const page = await api('GET', '/audit-logs?page=2&page_size=3');
    expect(page.headers.get('x-total-count')).toBe(String(ascending.length));
    expect(page.headers.get('link')).toContain('rel="prev"');
    expect(((await page.json()) as Entry[]).length).toBe(3);
    for (const bad of ['q=password=x', 'sort=secret', 'page=0', 'page_size=abc', `q=${'x'.repeat(2000)}`]) {
      const res = await api('GET', `/audit-logs?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await apiErrorCode(res)).toBe('BAD_REQUEST');
    }
  });

  it('shows a project’s entries to its Guests but not to LimitedGuests, non-members or anonymous callers', async () => {
    const guestAuth = basic('guesty', userPassword);
    const projectLog = await entries('/projects/audited/logs', guestAuth);
    expect(projectLog.length).toBeGreaterThan(0);
    // Everything the Guest sees is the project's own; login and user entries are system entries.
    expect(projectLog.some((e) => e.resource_type === 'user')).toBe(false);
    const own = await entries('/audit-logs', guestAuth);
    expect(own.map((e) => e.id).sort()).toEqual(projectLog.map((e) => e.id).sort());
    await api('POST', '/users', { username: 'outsider', email: 'o@example.com', realname: 'O', password: userPassword });
    expect((await api('GET', '/projects/audited/logs', undefined, basic('outsider', userPassword))).status).toBe(403);
    expect(await entries('/audit-logs', basic('outsider', userPassword))).toEqual([]);
    expect((await api('GET', '/projects/audited/logs', undefined, null)).status).toBe(401);
    expect((await api('GET', '/audit-logs', undefined, null)).status).toBe(401);
  });

  it('purges old entries on demand and on its schedule, with a dry run that deletes nothing', async () => {
    const knex = server.services.db.knex;
    await knex('audit_logs').where('resource_type', 'member').update({ op_time: knex.raw(`now() - interval '10 days'`) });
    const old = Number((await knex('audit_logs').where('op_time', '<', knex.raw(`now() - interval '1 day'`)).count<[{ count: string }]>('* as count'))[0]!.count);
    expect(old).toBeGreaterThan(0);

    const dry = await api('POST', '/system/purgeaudit/schedule', { schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 24, dry_run: true } });
    expect(dry.status).toBe(201);
    const dryId = Number(dry.headers.get('location')!.split('/').pop());
    expect((await waitForJob(api, dryId)).result).toMatchObject({ would_purge: old });
    expect(Number((await knex('audit_logs').where('resource_type', 'member').count<[{ count: string }]>('* as count'))[0]!.count)).toBe(old);

    const real = await api('POST', '/system/purgeaudit/schedule', { schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 24 } });
    const realId = Number(real.headers.get('location')!.split('/').pop());
    expect((await waitForJob(api, realId)).result).toMatchObject({ purged: old });
    expect(Number((await knex('audit_logs').where('resource_type', 'member').count<[{ count: string }]>('* as count'))[0]!.count)).toBe(0);

    const history = (await (await api('GET', '/system/purgeaudit')).json()) as Array<{ id: number; job_name: string; job_kind: string; job_status: string; job_parameters: string }>;
    expect(history.map((h) => h.id)).toEqual([realId, dryId]);
    expect(history[0]).toMatchObject({ job_name: 'PURGE_AUDIT_LOG', job_kind: 'MANUAL', job_status: 'Success' });
    expect(JSON.parse(history[1]!.job_parameters)).toMatchObject({ audit_retention_hour: 24, dry_run: true });
    const log = await api('GET', `/system/purgeaudit/${realId}/log`);
    expect(await log.text()).toContain('succeeded');

    expect((await api('PUT', '/system/purgeaudit/schedule', { schedule: { type: 'Daily' }, parameters: { audit_retention_hour: 48 } })).status).toBe(200);
    const schedule = (await (await api('GET', '/system/purgeaudit/schedule')).json()) as { schedule: { type: string; cron: string; next_scheduled_time?: string }; job_parameters: string };
    expect(schedule.schedule).toMatchObject({ type: 'Daily', cron: '0 0 0 * * *' });
    expect(Date.parse(schedule.schedule.next_scheduled_time!)).toBeGreaterThan(Date.now());
    expect(JSON.parse(schedule.job_parameters)).toMatchObject({ audit_retention_hour: 48 });
    expect((await api('PUT', '/system/purgeaudit/schedule', { schedule: { type: 'None' } })).status).toBe(200);
    expect(((await (await api('GET', '/system/purgeaudit/schedule')).json()) as { schedule: { type: string } }).schedule.type).toBe('None');

    for (const bad of [{ schedule: { type: 'Custom', cron: 'every day' } }, { schedule: { type: 'Sometimes' } }, { parameters: {} }, { schedule: { type: 'Manual' }, parameters: { audit_retention_hour: -1 } }, '{"schedule":']) {
      const res = await api('PUT', '/system/purgeaudit/schedule', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await apiErrorCode(res)).toBe('BAD_REQUEST');
    }
    expect((await api('GET', '/system/purgeaudit/schedule', undefined, basic('auditor', userPassword))).status).toBe(403);
    expect((await api('GET', '/system/purgeaudit/999999')).status).toBe(404);
  });

  it('shows the job history, lets an administrator retry a dead job and refuses everyone else', async () => {
    const knex = server.services.db.knex;
    const [inserted] = await knex('jobs')
      .insert({ type: 'audit.purge', payload: JSON.stringify({ retentionHours: 100000 }), status: 'dead', attempts: 3, max_attempts: 3, last_error: 'disk full', finished_at: knex.fn.now() })
      .returning<Array<{ id: number }>>('id');
    const id = inserted!.id;
    const dead = (await (await api('GET', `/jobs/${id}`)).json()) as Record<string, unknown>;
    expect(dead).toMatchObject({ id, type: 'audit.purge', status: 'dead', attempts: 3, last_error: 'disk full' });
    const list = (await (await api('GET', '/jobs?status=dead')).json()) as Array<{ id: number; status: string }>;
    expect(list.some((j) => j.id === id)).toBe(true);
    expect(list.every((j) => j.status === 'dead')).toBe(true);
    expect((await api('POST', `/jobs/${id}/retry`)).status).toBe(200);
    expect(await waitForJob(api, id)).toMatchObject({ status: 'succeeded' });
    expect((await api('POST', `/jobs/${id}/retry`)).status).toBe(412);
    const queues = (await (await api('GET', '/jobservice/queues')).json()) as Array<{ job_type: string }>;
    expect(queues.map((q) => q.job_type)).toContain('audit.purge');
    const schedules = (await (await api('GET', '/schedules')).json()) as Array<{ vendor_type: string; cron: string }>;
    expect(schedules.map((s) => s.vendor_type)).toEqual(expect.arrayContaining(['audit-log-purge', 'job-history-purge']));
    for (const path of ['/jobs', `/jobs/${id}`, '/jobservice/queues', '/schedules']) {
      expect((await api('GET', path, undefined, basic('auditor', userPassword))).status, path).toBe(403);
      expect((await api('GET', path, undefined, null)).status, path).toBe(401);
    }
    for (const bad of ['/jobs?status=stuck', '/jobs?type=%27;drop', '/jobs/abc', '/jobs/99999999999']) {
      const res = await api('GET', bad);
      expect(res.status, bad).toBe(400);
    }
    expect((await api('GET', '/jobs/999999')).status).toBe(404);
  });
});
