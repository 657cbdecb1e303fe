import { registerJobMaintenance } from './jobs/job-maintenance.ts';
import { registerAuditPurge } from './audit/audit-purge.ts';
import type { Services } from './services.ts';
import { registerWebhooks } from './webhooks/webhooks.background.ts';
import { recordOrigins } from './promotion/origins.ts';
import { registerScanning } from './scanning/scanning.background.ts';

/**
 * Job types, schedules and event subscribers, declared once per process before the workers start. Each domain
 * registers its own here; none of them runs work in an event handler (they enqueue jobs or batch writes).
 */
export async function registerBackgroundWork(services: Services): Promise<void> {
  await registerJobMaintenance(services.db.knex, services.jobs, services.scheduler, services.config.jobs.retentionDays);
  services.audit.subscribe(services.events);
  await registerAuditPurge(services.db.knex, services.jobs, services.scheduler, services.config.audit);
  services.events.on('artifact.pulled', (e) => services.pullStats.record(e));
  await registerWebhooks(services);
  // Who pushed each artifact first (the approval gate never counts the pusher), and pull-verdict cache drops.
  recordOrigins(services.db.knex, services.events, services.log);
  services.pullGuard.subscribe(services.events);
  await registerScanning(services);
}

/** Writes what batching subscribers still hold (pull statistics, audit entries) before the database closes. */
export async function flushBackgroundWork(services: Services): Promise<void> {
  await Promise.all([services.audit.flush(), services.pullStats.flush()]);
}
