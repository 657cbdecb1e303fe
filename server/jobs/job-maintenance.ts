import type { Knex } from 'knex';
import type { JobQueue } from './job-queue.ts';
import { jobsRepo } from './jobs.repo.ts';
import type { Scheduler } from './scheduler.ts';

export const jobPurgeType = 'jobs.purge';

/** Keeps the job history bounded: finished jobs older than the retention are deleted once a day. */
export async function registerJobMaintenance(db: Knex, queue: JobQueue, scheduler: Scheduler, retentionDays: number): Promise<void> {
  queue.define<Record<string, never>>(jobPurgeType, {
    retry: { maxAttempts: 3 },
    concurrency: 1,
    handle: async () => ({ deleted: await jobsRepo.purgeFinished(db, new Date(Date.now() - retentionDays * 86_400_000)) }),
  });
  await scheduler.ensure('job-history-purge', '0 30 2 * * *', jobPurgeType);
}
