import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

export interface JobRow {
  id: number;
  type: string;
  payload: unknown;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  result: unknown;
  dedupe_key: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export interface NewJob {
  type: string;
  payload: unknown;
  maxAttempts: number;
  runAt?: Date;
  dedupeKey?: string;
}

/** A job a worker has just claimed. */
export interface ClaimedJob {
  id: number;
  type: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

const ms = (db: Queryable, value: number): Knex.Raw => db.raw(`now() + (? * interval '1 millisecond')`, [Math.max(0, Math.round(value))]);

/** The jobs table: every state change is one conditional statement, so workers on several nodes never collide. */
export const jobsRepo = {
  /** Inserts jobs in order; a job whose dedupe key exists already is skipped. Returns the jobs created. */
  async insert(db: Queryable, jobs: NewJob[]): Promise<Array<{ id: number; dedupe_key: string | null }>> {
    if (jobs.length === 0) return [];
    const rows = jobs.map((j, i) => ({
      ord: i,
      type: j.type,
      payload: j.payload ?? {},
      max_attempts: j.maxAttempts,
      run_at: j.runAt?.toISOString() ?? null,
      dedupe_key: j.dedupeKey ?? null,
    }));
    const result = await db.raw(
      `insert into jobs (type, payload, max_attempts, run_at, dedupe_key)
       select type, payload, max_attempts, coalesce(run_at, now()), dedupe_key
       from jsonb_to_recordset(?::jsonb) as x(ord int, type text, payload jsonb, max_attempts int, run_at timestamptz, dedupe_key text)
       order by ord
       on conflict (dedupe_key) do nothing
       returning id, dedupe_key`,
      [JSON.stringify(rows)],
    );
    return (result.rows as Array<{ id: number | string; dedupe_key: string | null }>).map((r) => ({ id: Number(r.id), dedupe_key: r.dedupe_key }));
  },

  /**
   * Claims up to `limit` due jobs of `types` for `worker`: one statement that skips rows other workers hold, so
   * each job goes to exactly one worker. The attempt is counted when it starts.
   */
  async claim(db: Queryable, worker: string, types: string[], limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    if (types.length === 0 || limit <= 0) return [];
    const result = await db.raw(
      `update jobs set status = 'running', locked_by = ?, locked_until = ${ms(db, leaseMs).toQuery()},
              attempts = attempts + 1, started_at = now(), updated_at = now()
       where id in (
         select id from jobs where status = 'queued' and run_at <= now() and type = any(?::text[])
         order by run_at, id limit ? for update skip locked
       )
       returning id, type, payload, attempts, max_attempts`,
      [worker, types, limit],
    );
    return (result.rows as ClaimedJob[]).sort((a, b) => a.id - b.id);
  },

  /** Extends the lease of jobs this worker still runs. */
  async heartbeat(db: Queryable, worker: string, ids: number[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    await db('jobs')
      .whereIn('id', ids)
      .where({ locked_by: worker, status: 'running' })
      .update({ locked_until: ms(db, leaseMs), updated_at: db.fn.now() });
  },

  /** Records success, unless the job was released or reclaimed meanwhile (then nothing changes). */
  async succeed(db: Queryable, worker: string, id: number, result: unknown): Promise<boolean> {
    const n = await db('jobs')
      .where({ id, locked_by: worker, status: 'running' })
      .update({
        status: 'succeeded',
        result: result === undefined ? null : JSON.stringify(result),
        last_error: null,
        locked_by: null,
        locked_until: null,
        finished_at: db.fn.now(),
        updated_at: db.fn.now(),
      });
    return n > 0;
  },

  /** Records a failed attempt: back to the queue after `retryInMs`, or dead when `retryInMs` is null. */
  async fail(db: Queryable, worker: string, id: number, error: string, retryInMs: number | null): Promise<boolean> {
    const changes =
      retryInMs === null
        ? { status: 'dead', finished_at: db.fn.now() }
        : { status: 'queued', run_at: ms(db, retryInMs) };
    const n = await db('jobs')
      .where({ id, locked_by: worker, status: 'running' })
      .update({ ...changes, last_error: error.slice(0, 4000), locked_by: null, locked_until: null, updated_at: db.fn.now() });
    return n > 0;
  },

  /** Puts jobs this worker holds back in the queue without counting the attempt (graceful shutdown). */
  async release(db: Queryable, worker: string, ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return db('jobs')
      .whereIn('id', ids)
      .where({ locked_by: worker, status: 'running' })
      .update({
        status: 'queued',
        attempts: db.raw('greatest(attempts - 1, 0)'),
        locked_by: null,
        locked_until: null,
        run_at: db.fn.now(),
        updated_at: db.fn.now(),
      });
  },

  /**
   * Jobs whose worker stopped renewing its lease (a killed process) return to the queue, their attempt counted as
   * a failure; past their last attempt they are dead. Returns what changed.
   */
  async reclaimExpired(db: Queryable): Promise<Array<{ id: number; type: string; status: JobStatus; attempts: number }>> {
    const result = await db.raw(
      `update jobs set
         status = case when attempts >= max_attempts then 'dead' else 'queued' end,
         finished_at = case when attempts >= max_attempts then now() else null end,
         last_error = 'the worker stopped before finishing attempt ' || attempts || ' (lease expired)',
         locked_by = null, locked_until = null, run_at = now(), updated_at = now()
       where id in (select id from jobs where status = 'running' and locked_until < now() for update skip locked)
       returning id, type, status, attempts`,
    );
    return result.rows as Array<{ id: number; type: string; status: JobStatus; attempts: number }>;
  },

  async find(db: Queryable, id: number): Promise<JobRow | undefined> {
    return db('jobs').where({ id }).first<JobRow | undefined>();
  },

  async page(
    db: Queryable,
    opts: { type?: string; status?: JobStatus; offset: number; limit: number },
  ): Promise<{ rows: JobRow[]; total: number }> {
    const filtered = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
      if (opts.type) q.where('type', opts.type);
      if (opts.status) q.where('status', opts.status);
      return q;
    };
    const [{ count }] = (await filtered(db('jobs')).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = await filtered(db('jobs')).orderBy('id', 'desc').offset(opts.offset).limit(opts.limit).select<JobRow[]>('*');
    return { rows, total: Number(count) };
  },

  /** A dead or cancelled job goes back to the queue with a fresh set of attempts. */
  async retry(db: Queryable, id: number): Promise<boolean> {
    const n = await db('jobs')
      .where({ id })
      .whereIn('status', ['dead', 'cancelled'])
      .update({ status: 'queued', attempts: 0, run_at: db.fn.now(), finished_at: null, last_error: null, updated_at: db.fn.now() });
    return n > 0;
  },

  /** Cancels a job that has not started (or is waiting for a retry). */
  async cancel(db: Queryable, id: number): Promise<boolean> {
    const n = await db('jobs').where({ id, status: 'queued' }).update({ status: 'cancelled', finished_at: db.fn.now(), updated_at: db.fn.now() });
    return n > 0;
  },

  /** Per type: how many are waiting and how long the oldest due one has waited (Harbor's JobQueue). */
  async queues(db: Queryable): Promise<Array<{ type: string; count: number; latency_seconds: number }>> {
    const result = await db.raw(
      `select type, count(*)::int as count,
              coalesce(extract(epoch from now() - min(run_at) filter (where run_at <= now())), 0)::int as latency_seconds
       from jobs where status = 'queued' group by type order by type`,
    );
    return result.rows as Array<{ type: string; count: number; latency_seconds: number }>;
  },

  /** Deletes finished jobs older than the cutoff, in bounded batches. */
  async purgeFinished(db: Queryable, before: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await db('jobs')
        .whereIn('id', db('jobs').whereIn('status', ['succeeded', 'dead', 'cancelled']).where('finished_at', '<', before).limit(batch).select('id'))
        .delete();
      total += n;
      if (n < batch) return total;
    }
  },
};
