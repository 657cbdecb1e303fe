import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { Queryable } from '../db/types.ts';
import type { EventBus } from '../events/event-bus.ts';
import { defaultRetryPolicy, retryDelay, type RetryPolicy } from './backoff.ts';
import { jobsRepo, type ClaimedJob } from './jobs.repo.ts';

/** What a handler gets for one attempt of a job. */
export interface JobContext<P> {
  id: number;
  type: string;
  payload: P;
  /** This attempt's number, from 1. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the attempt times out or the process shuts down before it finishes. */
  signal: AbortSignal;
}

/** A job type: its handler and how it retries. */
export interface JobDefinition<P = unknown> {
  /** Runs one attempt. Throw to fail it; throw `PermanentJobError` to give up without further attempts. */
  handle(job: JobContext<P>): Promise<unknown>;
  retry?: Partial<RetryPolicy>;
  /** An attempt running longer than this is aborted and counts as failed. */
  timeoutMs?: number;
  /** At most this many jobs of the type run at once in one process. */
  concurrency?: number;
}

/** A failure that retrying cannot fix (bad payload, the thing it was about is gone): the job goes dead at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

export interface EnqueueOptions {
  /** Not before this time. */
  runAt?: Date;
  /** A second job with the same key is not created (scheduled ticks, idempotent triggers). */
  dedupeKey?: string;
  /** Overrides the type's attempt count (a webhook policy sets its own). */
  maxAttempts?: number;
  /** Enqueue inside this transaction, so the job exists exactly when the change that caused it does. */
  db?: Queryable;
}

export interface JobQueueOptions {
  /** How often an idle worker looks for due jobs (jobs enqueued by this process start at once). */
  pollMs: number;
  /** A running job's lease; renewed while it runs, and a job whose lease runs out is retried elsewhere. */
  leaseMs: number;
  /** Jobs run at once by this process. */
  concurrency: number;
}

interface Running {
  type: string;
  controller: AbortController;
  done: Promise<void>;
}

interface Defined {
  definition: JobDefinition<never>;
  policy: RetryPolicy;
}

/**
 * The one durable job queue, in the database (PGlite or PostgreSQL alike): webhook deliveries, scans,
 * replication, retention, GC and purges all run through it. A job row is its whole state. Workers claim due jobs
 * with `FOR UPDATE SKIP LOCKED`, so several processes share one queue and each job runs once at a time; a lease
 * that a worker keeps renewing lets another process take over the jobs of one that died. Failed attempts are
 * retried with exponential backoff per job type, and a job that runs out of attempts is kept as `dead` (the
 * dead-letter state) with its last error until someone retries or purges it.
 */
export class JobQueue {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly definitions = new Map<string, Defined>();
  private readonly running = new Map<number, Running>();
  /** Jobs handed back at shutdown: whatever their handler does afterwards is not recorded. */
  private readonly released = new Set<number>();
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  private lastReclaim = 0;

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly options: JobQueueOptions,
  ) {}

  /** Declares a job type this process can run. Types are declared before `start`. */
  define<P>(type: string, definition: JobDefinition<P>): void {
    if (this.definitions.has(type)) throw new Error(`job type ${type} is defined twice`);
    this.definitions.set(type, { definition: definition as JobDefinition<never>, policy: { ...defaultRetryPolicy, ...definition.retry } });
  }

  get types(): string[] {
    return [...this.definitions.keys()];
  }

  /** Adds a job; `created` is false when a job with the same dedupe key exists already. */
  async enqueue<P>(type: string, payload: P, options: EnqueueOptions = {}): Promise<{ id: number | null; created: boolean }> {
    const [row] = await this.enqueueMany([{ type, payload, ...options }], options.db);
    return { id: row?.id ?? null, created: row !== undefined };
  }

  /** Adds several jobs in one statement; returns those created (a dedupe key that exists skips its job). */
  async enqueueMany(jobs: Array<{ type: string; payload: unknown } & Omit<EnqueueOptions, 'db'>>, db: Queryable = this.db): Promise<Array<{ id: number; dedupe_key: string | null }>> {
    const rows = await jobsRepo.insert(
      db,
      jobs.map((j) => ({
        type: j.type,
        payload: j.payload,
        maxAttempts: j.maxAttempts ?? this.definitions.get(j.type)?.policy.maxAttempts ?? defaultRetryPolicy.maxAttempts,
        runAt: j.runAt,
        dedupeKey: j.dedupeKey,
      })),
    );
    if (rows.length) this.kick();
    return rows;
  }

  /** Starts working: polls for due jobs, renews leases and takes over jobs whose worker died. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    this.heartbeatTimer.unref();
    this.kick();
  }

  /**
   * Graceful shutdown: claims nothing more, lets running jobs finish for up to `graceMs`, then hands the rest back
   * to the queue (their attempt not counted) so another process, or the next start, runs them.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    // A poll under way may still claim jobs: let it finish, so what it claimed is run or handed back below.
    await this.ticking;
    if (this.running.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running.values()].map((r) => r.done)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    const left = [...this.running.entries()];
    if (left.length === 0) return;
    for (const [id, r] of left) {
      this.released.add(id);
      r.controller.abort(new Error('berth is shutting down'));
    }
    const n = await jobsRepo.release(this.db, this.workerId, left.map(([id]) => id)).catch((err: unknown) => {
      this.log.warn({ err }, 'could not release running jobs; their leases will expire');
      return 0;
    });
    this.log.info({ released: n }, 'running jobs handed back to the queue');
  }

  /** Looks for work now instead of at the next poll. */
  kick(): void {
    if (!this.started || this.stopping) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.tick(), 0);
  }

  private schedulePoll(): void {
    if (this.stopping) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.tick(), this.options.pollMs);
    this.pollTimer.unref();
  }

  private tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    const poll = (async () => {
      do {
        this.tickAgain = false;
        if (this.stopping) return;
        await this.reclaimIfDue();
        const claimed = await this.claim();
        for (const job of claimed) this.run(job);
      } while (this.tickAgain && !this.stopping);
    })()
      .catch((err: unknown) => this.log.warn({ err }, 'job queue poll failed'))
      .finally(() => {
        // `finally` runs after this assignment, even when the poll returned at once.
        if (this.ticking === poll) this.ticking = undefined;
        this.schedulePoll();
      });
    this.ticking = poll;
    return poll;
  }

  /** Claims as many due jobs as there is room for, honouring each type's own concurrency limit. */
  private async claim(): Promise<ClaimedJob[]> {
    let free = this.options.concurrency - this.running.size;
    if (free <= 0) return [];
    const unlimited: string[] = [];
    const claimed: ClaimedJob[] = [];
    for (const [type, { definition }] of this.definitions) {
      if (definition.concurrency === undefined) {
        unlimited.push(type);
        continue;
      }
      const room = Math.min(free, definition.concurrency - this.runningOf(type));
      if (room <= 0) continue;
      const jobs = await jobsRepo.claim(this.db, this.workerId, [type], room, this.options.leaseMs);
      claimed.push(...jobs);
      free -= jobs.length;
    }
    if (free > 0 && unlimited.length) {
      const jobs = await jobsRepo.claim(this.db, this.workerId, unlimited, free, this.options.leaseMs);
      claimed.push(...jobs);
      // A full batch suggests more are due: look again as soon as this round is started.
      if (jobs.length === free) this.tickAgain = true;
    }
    return claimed;
  }

  private runningOf(type: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.type === type) n++;
    return n;
  }

  private run(job: ClaimedJob): void {
    const defined = this.definitions.get(job.type)!;
    const controller = new AbortController();
    const { timeoutMs } = defined.definition;
    const timer = timeoutMs ? setTimeout(() => controller.abort(new Error(`the attempt took longer than ${timeoutMs} ms`)), timeoutMs) : undefined;
    const done = (async () => {
      try {
        const result = await (defined.definition as JobDefinition<unknown>).handle({
          id: job.id,
          type: job.type,
          payload: job.payload,
          attempt: job.attempts,
          maxAttempts: job.max_attempts,
          signal: controller.signal,
        });
        if (controller.signal.aborted && !this.released.has(job.id)) throw controller.signal.reason;
        if (!this.released.has(job.id)) await jobsRepo.succeed(this.db, this.workerId, job.id, result ?? null);
      } catch (err) {
        if (!this.released.has(job.id)) await this.recordFailure(job, defined.policy, err);
      }
    })()
      .catch((err: unknown) => this.log.warn({ err, job: job.id }, 'could not record a job result; its lease will expire'))
      .finally(() => {
        clearTimeout(timer);
        this.running.delete(job.id);
        this.released.delete(job.id);
        this.kick();
      });
    this.running.set(job.id, { type: job.type, controller, done });
  }

  private async recordFailure(job: ClaimedJob, policy: RetryPolicy, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message || err.name : String(err);
    const delay = err instanceof PermanentJobError ? null : retryDelay(policy, job.attempts, job.max_attempts);
    const recorded = await jobsRepo.fail(this.db, this.workerId, job.id, message, delay);
    if (!recorded) return;
    if (delay === null) {
      this.log.warn({ job: job.id, type: job.type, attempts: job.attempts, error: message }, 'job gave up');
      this.events.emit('job.dead', 'system', { jobId: job.id, type: job.type, error: message });
    } else {
      this.log.info({ job: job.id, type: job.type, attempt: job.attempts, retryInMs: delay, error: message }, 'job attempt failed');
    }
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.running.keys()].filter((id) => !this.released.has(id));
    await jobsRepo.heartbeat(this.db, this.workerId, ids, this.options.leaseMs).catch((err: unknown) => this.log.warn({ err }, 'job lease renewal failed'));
  }

  private async reclaimIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastReclaim < this.options.leaseMs / 2) return;
    this.lastReclaim = now;
    for (const job of await jobsRepo.reclaimExpired(this.db)) {
      this.log.warn({ job: job.id, type: job.type, status: job.status }, 'took over a job whose worker stopped');
      if (job.status === 'dead') this.events.emit('job.dead', 'system', { jobId: job.id, type: job.type, error: 'the worker stopped before finishing (lease expired)' });
    }
  }
}
