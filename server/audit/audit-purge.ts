import type { Knex } from 'knex';
import type { BerthConfig } from '../config/config.schema.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { auditRepo } from './audit.repo.ts';

export const auditPurgeType = 'audit.purge';
export const auditPurgeSchedule = 'audit-log-purge';

/** What a purge removes: entries older than `retentionHours`, optionally of some operations only. */
export interface AuditPurgeParams {
  retentionHours: number;
  operations?: string[];
  dryRun?: boolean;
}

/**
 * Keeps the audit log bounded (Harbor's grows until someone purges it by hand): a scheduled job deletes entries
 * older than the retention, in batches so a large purge never holds one long transaction.
 */
export async function registerAuditPurge(db: Knex, queue: JobQueue, scheduler: Scheduler, config: BerthConfig['audit']): Promise<void> {
  queue.define<AuditPurgeParams>(auditPurgeType, {
    concurrency: 1,
    retry: { maxAttempts: 3 },
    handle: async ({ payload }) => {
      const before = new Date(Date.now() - payload.retentionHours * 3_600_000);
      const n = await auditRepo.purge(db, before, { operations: payload.operations, dryRun: payload.dryRun ?? false });
      return { [payload.dryRun ? 'would_purge' : 'purged']: n, before: before.toISOString(), operations: payload.operations ?? 'all' };
    },
  });
  await scheduler.ensure(auditPurgeSchedule, config.purgeCron, auditPurgeType, { retentionHours: config.retentionHours } satisfies AuditPurgeParams);
}
