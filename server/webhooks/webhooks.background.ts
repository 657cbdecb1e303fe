import type { Services } from '../services.ts';
import { deliveriesRepo } from './deliveries.repo.ts';
import { deliverJobType } from './deliveries.service.ts';
import { defineDeliveryJob } from './delivery.job.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';

export const deliveryPurgeType = 'webhooks.purge-deliveries';

/**
 * Webhooks' background work: the `webhook.deliver` job type, the event subscriber that schedules deliveries, the
 * `job.dead` subscriber that marks a delivery failed when its job gives up, and a daily purge that keeps the
 * delivery log as long as the job history (`jobs.retentionDays`).
 */
export async function registerWebhooks(services: Services): Promise<void> {
  const { config, db, jobs, events } = services;
  defineDeliveryJob(jobs, {
    db: db.knex,
    secrets: services.secrets,
    retry: { initialDelayMs: config.webhooks.retryInitialDelayMs, maxDelayMs: config.webhooks.retryMaxDelayMs },
    defaultMaxAttempts: config.webhooks.defaultMaxAttempts,
  });
  new WebhookDispatcher(db.knex, services.webhooks, services.webhookDeliveries, services.projects, config.externalUrl, services.log, () =>
    services.settings.get('notification_enable'),
  ).subscribe(events);
  events.on('job.dead', async (e) => {
    if (e.data.type === deliverJobType) await services.webhookDeliveries.jobDied(e.data.jobId, e.data.error);
  });
  jobs.define<Record<string, never>>(deliveryPurgeType, {
    retry: { maxAttempts: 3 },
    concurrency: 1,
    handle: async () => ({ deleted: await deliveriesRepo.purgeFinished(db.knex, new Date(Date.now() - config.jobs.retentionDays * 86_400_000)) }),
  });
  await services.scheduler.ensure('webhook-delivery-purge', '0 45 2 * * *', deliveryPurgeType);
}
