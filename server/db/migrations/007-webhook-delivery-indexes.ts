import type { Knex } from 'knex';

/**
 * Webhooks: the delivery log is looked up by job (a dead job fails its delivery) and by policy and event type for
 * the last trigger time; both stay index lookups however long the log grows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index webhook_deliveries_job on webhook_deliveries (job_id) where job_id is not null');
  await knex.raw('create index webhook_deliveries_last_trigger on webhook_deliveries (policy_id, event_type, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists webhook_deliveries_last_trigger');
  await knex.raw('drop index if exists webhook_deliveries_job');
}
