import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/core/logger.ts';
import type { Database } from '../../server/db/database.ts';
import { EventBus } from '../../server/events/event-bus.ts';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { JobQueue, PermanentJobError, type JobDefinition } from '../../server/jobs/job-queue.ts';
import { jobsRepo, type JobRow } from '../../server/jobs/jobs.repo.ts';
import { Scheduler } from '../../server/jobs/scheduler.ts';
import { databaseKinds, openTestDatabase } from '../helpers/databases.ts';
import { waitFor } from '../helpers/wait.ts';

const log = createLogger('silent');
const fast = { initialDelayMs: 20, factor: 2, maxDelayMs: 200, jitter: 0 };

const finished = (db: Database, id: number) => () =>
  jobsRepo.find(db.knex, id).then((j) => (j && ['succeeded', 'dead', 'cancelled'].includes(j.status) ? j : undefined));

describe.each(databaseKinds)('the durable job queue on %s', (kind) => {
  let db: Database;
  const queues: JobQueue[] = [];
  const schedulers: Scheduler[] = [];
  const events: DomainEvent[] = [];

  function queue(defs: Record<string, JobDefinition<never>>, opts: { leaseMs?: number; concurrency?: number } = {}): JobQueue {
    const bus = new EventBus(log);
    bus.on('job.dead', (e) => void events.push(e));
    const q = new JobQueue(db.knex, bus, log, { pollMs: 20, leaseMs: opts.leaseMs ?? 2_000, concurrency: opts.concurrency ?? 4 });
    for (const [type, def] of Object.entries(defs)) q.define(type, def);
    queues.push(q);
    return q;
  }

  beforeAll(async () => {
    db = await openTestDatabase(kind);
  });
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
    for (const q of queues.splice(0)) await q.stop(1_000);
    await db.knex('jobs').delete();
    await db.knex('schedules').delete();
    events.length = 0;
  });
  afterAll(async () => db?.close());

  it('runs a job once and keeps its result in the history', async () => {
    const seen: unknown[] = [];
    const q = queue({ echo: { handle: async (job) => (seen.push(job.payload), { echoed: job.payload }) } });
    q.start();
    const { id } = await q.enqueue('echo', { n: 1 });
    const job = await waitFor('the job', finished(db, id!));
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, result: { echoed: { n: 1 } }, last_error: null });
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('retries a failing job with backoff and records each failure until it succeeds', async () => {
    const startedAt: number[] = [];
    const q = queue({
      flaky: {
        retry: { ...fast, maxAttempts: 5 },
        handle: async (job) => {
          startedAt.push(Date.now());
          if (job.attempt < 3) throw new Error(`refused on attempt ${job.attempt}`);
          return 'ok';
        },
      },
    });
    q.start();
    const { id } = await q.enqueue('flaky', {});
    const job = await waitFor('the job', finished(db, id!));
    expect(job).toMatchObject({ status: 'succeeded', attempts: 3, last_error: null });
    expect(startedAt).toHaveLength(3);
    // The waits grow: 20 ms, then 40 ms (at least).
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(20);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(40);
  });

  it('gives up after the last attempt: the job is dead with its last error, and job.dead is emitted', async () => {
    const q = queue({ broken: { retry: { ...fast, maxAttempts: 3 }, handle: async (job) => Promise.reject(new Error(`boom ${job.attempt}`)) } });
    q.start();
    const { id } = await q.enqueue('broken', {});
    const job = await waitFor('the job', finished(db, id!));
    expect(job).toMatchObject({ status: 'dead', attempts: 3, last_error: 'boom 3' });
    await waitFor('the event', async () => events.length > 0);
    expect(events[0]!.data).toMatchObject({ jobId: id, type: 'broken', error: 'boom 3' });
  });

  it('sends a job straight to dead on a permanent error, and a per-job attempt count overrides the type’s', async () => {
    const q = queue({
      bad: { retry: fast, handle: async () => Promise.reject(new PermanentJobError('the payload names nothing')) },
      once: { retry: { ...fast, maxAttempts: 9 }, handle: async () => Promise.reject(new Error('no')) },
    });
    q.start();
    const bad = await q.enqueue('bad', {});
    const once = await q.enqueue('once', {}, { maxAttempts: 2 });
    expect(await waitFor('bad', finished(db, bad.id!))).toMatchObject({ status: 'dead', attempts: 1, last_error: 'the payload names nothing' });
    expect(await waitFor('once', finished(db, once.id!))).toMatchObject({ status: 'dead', attempts: 2, max_attempts: 2 });
  });

  it('creates one job for one dedupe key, however often it is enqueued', async () => {
    const q = queue({ noop: { handle: async () => undefined } });
    const first = await q.enqueue('noop', {}, { dedupeKey: 'tick:1' });
    const again = await q.enqueue('noop', {}, { dedupeKey: 'tick:1' });
    const many = await q.enqueueMany([
      { type: 'noop', payload: {}, dedupeKey: 'tick:1' },
      { type: 'noop', payload: {}, dedupeKey: 'tick:2' },
      { type: 'noop', payload: {} },
    ]);
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: null, created: false });
    expect(many.map((m) => m.dedupe_key)).toEqual(['tick:2', null]);
    expect(await db.knex('jobs').count<[{ count: string | number }]>('* as count').then((rows) => Number(rows[0]?.count))).toBe(3);
  });

  it('aborts an attempt that runs past its timeout and retries it', async () => {
    let attempts = 0;
    const q = queue({
      slow: {
        timeoutMs: 100,
        retry: { ...fast, maxAttempts: 2 },
        handle: async (job) => {
          attempts++;
          if (job.attempt === 1) await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
          return 'fast enough';
        },
      },
    });
    q.start();
    const { id } = await q.enqueue('slow', {});
    const job = await waitFor('the job', finished(db, id!));
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(attempts).toBe(2);
  });

  it('on graceful stop hands a running job back uncounted, and another worker finishes it', async () => {
    let release: () => void = () => undefined;
    const hold = new Promise<void>((r) => (release = r));
    const first = queue({ long: { handle: async () => hold } });
    first.start();
    const { id } = await first.enqueue('long', {});
    await waitFor('the job to start', () => jobsRepo.find(db.knex, id!).then((j) => j?.status === 'running'));
    await first.stop(100);
    const handedBack = (await jobsRepo.find(db.knex, id!))!;
    expect(handedBack).toMatchObject({ status: 'queued', attempts: 0, locked_by: null });
    release();
    const second = queue({ long: { handle: async () => 'done by the second worker' } });
    second.start();
    expect(await waitFor('the job', finished(db, id!))).toMatchObject({ status: 'succeeded', attempts: 1, result: 'done by the second worker' });
  });

  it('takes over a job whose worker died (its lease ran out), counting the lost attempt', async () => {
    // A worker that claims the job and then vanishes without renewing or finishing it.
    await jobsRepo.insert(db.knex, [{ type: 'orphan', payload: {}, maxAttempts: 3 }]);
    const [claimed] = await jobsRepo.claim(db.knex, 'dead-worker', ['orphan'], 1, 50);
    expect(claimed!.attempts).toBe(1);
    const q = queue({ orphan: { handle: async (job) => `attempt ${job.attempt}` } }, { leaseMs: 200 });
    q.start();
    const job = await waitFor('the job', finished(db, claimed!.id));
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, result: 'attempt 2' });
  });

  it('shares one queue between workers: every job runs exactly once, within each type’s concurrency', async () => {
    const runs = new Map<number, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    const def: JobDefinition<{ n: number }> = {
      concurrency: 2,
      handle: async (job) => {
        runs.set(job.payload.n, (runs.get(job.payload.n) ?? 0) + 1);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
    };
    const a = queue({ work: def as JobDefinition<never> });
    const b = queue({ work: def as JobDefinition<never> });
    await a.enqueueMany(Array.from({ length: 40 }, (_, n) => ({ type: 'work', payload: { n } })));
    a.start();
    b.start();
    await waitFor('all jobs', async () => {
      const [row] = await db.knex('jobs').where({ status: 'succeeded' }).count<[{ count: string | number }]>('* as count');
      return Number(row?.count) === 40;
    });
    expect([...runs.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    // Two workers, at most two each.
    expect(maxInFlight).toBeLessThanOrEqual(4);
    const workers = await db.knex('jobs').distinct('locked_by').pluck('locked_by');
    expect(workers).toEqual([null]);
  });

  it('fires a schedule once per tick even when two schedulers share the database', async () => {
    const ran: number[] = [];
    const def: JobDefinition<{ from: string }> = { handle: async (job) => void ran.push(job.id) };
    const [qa, qb] = [queue({ tick: def as JobDefinition<never> }), queue({ tick: def as JobDefinition<never> })];
    const [sa, sb] = [new Scheduler(db.knex, qa, log, 60_000), new Scheduler(db.knex, qb, log, 60_000)];
    schedulers.push(sa, sb);
    await sa.ensure('every-second', '* * * * * *', 'tick', { from: 'test' });
    await sb.ensure('every-second', '0 0 0 1 1 *', 'tick', { from: 'ignored: the first definition stays' });
    qa.start();
    qb.start();
    await Promise.all([sa.start(), sb.start()]);
    await new Promise((r) => setTimeout(r, 3_300));
    await sa.stop();
    await sb.stop();
    const jobs = await waitFor('the last tick to run', async () => {
      const rows = await db.knex('jobs').where({ type: 'tick' }).orderBy('id').select<JobRow[]>('*');
      return rows.every((r) => r.status === 'succeeded') && rows;
    });
    const slots = jobs.map((j) => j.dedupe_key!);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    expect(new Set(slots).size).toBe(slots.length);
    for (const s of slots) expect(s).toMatch(/^schedule:every-second:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(jobs.every((j) => j.attempts === 1)).toBe(true);
    expect(ran.sort()).toEqual(jobs.map((j) => j.id).sort());
    expect((await db.knex('schedules').first('cron')).cron).toBe('* * * * * *');
  });
});
