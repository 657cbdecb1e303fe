import cron, { type ScheduledTask } from 'node-cron';
import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { isValidCron } from './cron.ts';
import type { JobQueue } from './job-queue.ts';
import { schedulesRepo, type ScheduleRow } from './schedules.repo.ts';


interface Armed {
  row: ScheduleRow;
  task: ScheduledTask;
}

/**
 * Cron schedules that fire once per cluster. Every Berth process arms every schedule with node-cron; at each tick
 * node-cron asks its run coordinator whether this process should run it, and the coordinator answers by
 * enqueueing the tick's job under the key `schedule:<name>:<tick time>`: the jobs table's unique key lets exactly
 * one process create it, and the job then runs once on whichever worker claims it. Schedules live in the
 * database, so a change made through one process reaches the others at their next reload.
 */
export class Scheduler {
  private readonly armed = new Map<string, Armed>();
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Knex,
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly reloadMs: number,
  ) {}

  /** A schedule the code needs (audit purge, job purge...): created with its default, kept as an operator set it. */
  async ensure(name: string, defaultCron: string, jobType: string, payload: unknown = {}, enabled = true): Promise<void> {
    if (!isValidCron(defaultCron)) throw new Error(`schedule ${name}: invalid cron ${defaultCron}`);
    await schedulesRepo.insertIfMissing(this.db, { name, cron: defaultCron, job_type: jobType, payload, enabled });
  }

  async get(name: string): Promise<ScheduleRow> {
    const row = await schedulesRepo.find(this.db, name);
    if (!row) throw new BerthError('NOT_FOUND', `no schedule named ${name}`);
    return row;
  }

  list(): Promise<ScheduleRow[]> {
    return schedulesRepo.list(this.db);
  }

  /** Changes a schedule's cron, payload or enabled flag; this process re-arms it at once, others at their next reload. */
  async update(name: string, changes: { cron?: string; enabled?: boolean; payload?: unknown }): Promise<ScheduleRow> {
    if (changes.cron !== undefined && !isValidCron(changes.cron)) throw new BerthError('BAD_REQUEST', `invalid cron expression "${changes.cron}"`);
    const row = await schedulesRepo.update(this.db, name, changes);
    if (!row) throw new BerthError('NOT_FOUND', `no schedule named ${name}`);
    if (!this.stopped && this.reloadTimer) await this.reload();
    return row;
  }

  /** The next time a schedule fires, or null when it is disabled. */
  nextRun(name: string): Date | null {
    return this.armed.get(name)?.task.getNextRun() ?? null;
  }

  async start(): Promise<void> {
    await this.reload();
    this.reloadTimer = setInterval(() => {
      this.reload().catch((err: unknown) => this.log.warn({ err }, 'schedule reload failed'));
    }, this.reloadMs);
    this.reloadTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reloadTimer);
    for (const { task } of this.armed.values()) await task.destroy();
    this.armed.clear();
  }

  /** Arms what is new or changed, disarms what is gone or disabled. */
  private async reload(): Promise<void> {
    const rows = await schedulesRepo.list(this.db);
    if (this.stopped) return;
    const wanted = new Map(rows.filter((r) => r.enabled).map((r) => [r.name, r]));
    for (const [name, armed] of this.armed) {
      const row = wanted.get(name);
      if (!row || row.cron !== armed.row.cron || row.job_type !== armed.row.job_type || JSON.stringify(row.payload) !== JSON.stringify(armed.row.payload)) {
        await armed.task.destroy();
        this.armed.delete(name);
      }
    }
    for (const [name, row] of wanted) {
      if (this.armed.has(name)) continue;
      this.armed.set(name, { row, task: this.arm(row) });
    }
  }

  private arm(row: ScheduleRow): ScheduledTask {
    const task = cron.createTask(row.cron, () => undefined, {
      name: row.name,
      distributed: true,
      unref: true,
      suppressMissedWarning: true,
      runCoordinator: {
        // `key` is `<name>:<tick time in ISO>`, the same in every process for the same tick.
        shouldRun: async (key: string) => {
          const { created } = await this.queue.enqueue(row.job_type, row.payload, { dedupeKey: `schedule:${key}` });
          if (created) this.log.debug({ schedule: row.name, key }, 'schedule fired');
          return created;
        },
      },
      logger: {
        info: () => undefined,
        debug: () => undefined,
        warn: (message: string) => this.log.warn({ schedule: row.name }, message),
        error: (message: string | Error, err?: Error) => this.log.warn({ schedule: row.name, err: err ?? message }, 'schedule tick failed'),
      },
    });
    void task.start();
    return task;
  }
}
