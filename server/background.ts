import { registerJobMaintenance } from './jobs/job-maintenance.ts';
import type { Services } from './services.ts';
import { registerWebhooks } from './webhooks/webhooks.background.ts';

/**
 * Job types, schedules and event subscribers, declared once per process before the workers start. Each domain
 * registers its own here; none of them runs work in an event handler (they enqueue jobs or batch writes).
 */
export async function registerBackgroundWork(services: Services): Promise<void> {
  await registerJobMaintenance(services.db.knex, services.jobs, services.scheduler, services.config.jobs.retentionDays);
  await registerWebhooks(services);
}

/** Writes what batching subscribers still hold (pull statistics, audit entries) before the database closes. */
export async function flushBackgroundWork(_services: Services): Promise<void> {
  // Filled in by the subscribers that batch (audit log, pull statistics).
}
