import type { Knex } from 'knex';

/**
 * Issue 4: artifact management (labels, pull statistics), quotas, tag immutability, the durable job queue and
 * its schedules, webhooks and the audit log.
 */
export async function up(knex: Knex): Promise<void> {
  // Pull statistics are written in batches off the pull path (see artifacts/pull-stats.ts).
  await knex.schema.alterTable('artifacts', (t) => {
    t.bigInteger('pull_count').notNullable().defaultTo(0);
  });

  // Harbor's labels: global ('g', administrators) or of one project ('p').
  await knex.schema.createTable('labels', (t) => {
    t.increments('id').primary();
    t.text('name').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.text('color').notNullable().defaultTo('');
    t.specificType('scope', 'char(1)').notNullable();
    t.integer('project_id').references('projects.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table labels add constraint labels_scope check ((scope = 'g' and project_id is null) or (scope = 'p' and project_id is not null))`);
  await knex.raw('create unique index labels_name_unique on labels (name, scope, coalesce(project_id, 0))');

  await knex.schema.createTable('artifact_labels', (t) => {
    t.bigInteger('artifact_id').notNullable().references('artifacts.id').onDelete('CASCADE');
    t.integer('label_id').notNullable().references('labels.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['artifact_id', 'label_id']);
    t.index(['label_id']);
  });

  // Storage quota per project: `used` is the sum of the distinct blobs (and manifests) charged to the project,
  // kept by the statements that charge and release them; `hard` is the limit (-1: none).
  await knex.schema.createTable('quotas', (t) => {
    t.increments('id').primary();
    t.integer('project_id').notNullable().unique().references('projects.id').onDelete('CASCADE');
    t.bigInteger('hard').notNullable().defaultTo(-1);
    t.bigInteger('used').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('alter table quotas add constraint quotas_used check (used >= 0)');
  await knex.raw('alter table quotas add constraint quotas_hard check (hard >= -1)');
  // Blobs and manifests charged to a project: each digest once per project, however many repositories hold it.
  await knex.schema.createTable('project_blobs', (t) => {
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('digest').notNullable();
    t.bigInteger('size').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['project_id', 'digest']);
  });
  // Every existing project gets its quota row (unlimited) and is charged what it already holds.
  await knex.raw('insert into quotas (project_id) select id from projects');
  await knex.raw(`
    insert into project_blobs (project_id, digest, size)
      select distinct rb.project_id, rb.digest, b.size from repository_blobs rb join blobs b on b.digest = rb.digest
    union
      select distinct a.project_id, a.digest, a.manifest_size from artifacts a
    on conflict do nothing`);
  await knex.raw('update quotas q set used = coalesce((select sum(size) from project_blobs pb where pb.project_id = q.project_id), 0)');

  // Tag immutability rules (Harbor's ImmutableRule document, kept whole in `rule`).
  await knex.schema.createTable('immutable_rules', (t) => {
    t.increments('id').primary();
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.integer('priority').notNullable().defaultTo(0);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.jsonb('rule').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id']);
  });

  // The durable job queue. A job row is its whole state: no second store can disagree with it.
  await knex.schema.createTable('jobs', (t) => {
    t.bigIncrements('id').primary();
    t.text('type').notNullable();
    t.jsonb('payload').notNullable().defaultTo('{}');
    // queued (waiting, or waiting for a retry), running, succeeded, dead (gave up), cancelled
    t.text('status').notNullable().defaultTo('queued');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable();
    t.timestamp('run_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('locked_by');
    t.timestamp('locked_until', { useTz: true });
    t.text('last_error');
    t.jsonb('result');
    // Enqueueing twice with one key creates one job: scheduled ticks use `schedule:<name>:<slot>`.
    t.text('dedupe_key').unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['type', 'created_at']);
  });
  await knex.raw(`alter table jobs add constraint jobs_status check (status in ('queued', 'running', 'succeeded', 'dead', 'cancelled'))`);
  await knex.raw(`create index jobs_due on jobs (run_at, id) where status = 'queued'`);
  await knex.raw(`create index jobs_leased on jobs (locked_until) where status = 'running'`);
  await knex.raw(`create index jobs_finished on jobs (finished_at) where status in ('succeeded', 'dead', 'cancelled')`);

  // Cron schedules; every process runs them, the jobs table's dedupe key lets one process fire each tick.
  await knex.schema.createTable('schedules', (t) => {
    t.text('name').primary();
    t.text('cron').notNullable();
    t.text('job_type').notNullable();
    t.jsonb('payload').notNullable().defaultTo('{}');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('webhook_policies', (t) => {
    t.increments('id').primary();
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.jsonb('event_types').notNullable();
    // Targets as Harbor has them; each target's auth_header is stored encrypted (core/secret-box.ts).
    t.jsonb('targets').notNullable();
    // Berth's additions: repository and tag filters, the HMAC secret (encrypted), timeout and attempts.
    t.jsonb('filters').notNullable().defaultTo('{}');
    t.text('secret_encrypted');
    t.integer('timeout_seconds').notNullable().defaultTo(10);
    t.integer('max_attempts').notNullable().defaultTo(6);
    t.text('creator').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['project_id', 'name']);
  });

  // One row per event sent to one target; its body is kept so a redelivery sends the same bytes.
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.integer('policy_id').notNullable().references('webhook_policies.id').onDelete('CASCADE');
    t.integer('project_id').notNullable();
    t.text('event_id').notNullable();
    t.text('event_type').notNullable();
    t.integer('target_index').notNullable();
    t.text('address').notNullable();
    t.text('payload_format').notNullable();
    t.text('content_type').notNullable();
    t.binary('body').notNullable();
    // pending, succeeded, failed
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_status_code');
    t.text('last_error');
    t.bigInteger('redelivery_of');
    t.bigInteger('job_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.index(['policy_id', 'id']);
    t.index(['project_id', 'id']);
  });

  // Every attempt, written before the request goes out and completed after: a kill mid-request leaves an
  // unfinished attempt in the log rather than a send nobody recorded.
  await knex.schema.createTable('webhook_attempts', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('delivery_id').notNullable().references('webhook_deliveries.id').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('duration_ms');
    t.integer('status_code');
    t.text('error');
    t.boolean('succeeded');
    t.unique(['delivery_id', 'attempt']);
  });

  // Settings an administrator changes at run time (Harbor's /configurations); the config file gives the defaults.
  await knex.schema.createTable('settings', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.text('updated_by').notNullable().defaultTo('');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // The audit log. No foreign keys: entries outlive the users, projects and robots they name.
  await knex.schema.createTable('audit_logs', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('op_time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('operator').notNullable();
    t.text('address');
    t.text('resource_type').notNullable();
    t.text('resource').notNullable();
    t.text('operation').notNullable();
    t.boolean('success').notNullable().defaultTo(true);
    t.integer('project_id');
    t.text('description').notNullable().defaultTo('');
    t.jsonb('detail');
    // Pulls are aggregated per operator, address and resource over a short window: how many this entry stands for.
    t.integer('count').notNullable().defaultTo(1);
    t.text('request_id');
    t.index(['op_time']);
    t.index(['project_id', 'op_time']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_logs',
    'settings',
    'webhook_attempts',
    'webhook_deliveries',
    'webhook_policies',
    'schedules',
    'jobs',
    'immutable_rules',
    'project_blobs',
    'quotas',
    'artifact_labels',
    'labels',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('artifacts', (t) => t.dropColumn('pull_count'));
}
