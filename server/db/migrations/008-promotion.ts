import type { Knex } from 'knex';

/**
 * Issue 5: versioned policy documents, CVE allowlists, the vulnerability report store, who first pushed each
 * artifact, approvals, promotion records and the tags promotions made immutable.
 */
export async function up(knex: Knex): Promise<void> {
  // Every applied version of every document; the highest version of (kind, name) is the current one.
  await knex.schema.createTable('policy_documents', (t) => {
    t.increments('id').primary();
    t.text('kind').notNullable();
    t.text('name').notNullable();
    t.integer('version').notNullable();
    t.jsonb('document');
    // sha256 of the canonical JSON: applying identical content again makes no new version.
    t.text('content_digest').notNullable();
    t.text('created_by').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Deleting a document is a version too (its content null), so the history stays readable.
    t.boolean('deleted').notNullable().defaultTo(false);
    t.unique(['kind', 'name', 'version']);
  });

  // Harbor's CVE allowlists: the system's (project_id null) and one per project, with an optional expiry.
  await knex.schema.createTable('cve_allowlists', (t) => {
    t.increments('id').primary();
    t.integer('project_id').references('projects.id').onDelete('CASCADE');
    t.jsonb('items').notNullable().defaultTo('[]');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create unique index cve_allowlists_scope on cve_allowlists (coalesce(project_id, 0))');

  // Vulnerability reports by artifact digest (the same bytes have the same findings in every repository).
  await knex.schema.createTable('scan_reports', (t) => {
    t.bigIncrements('id').primary();
    t.text('digest').notNullable();
    t.text('mime_type').notNullable();
    t.text('status').notNullable();
    t.jsonb('scanner');
    t.jsonb('report');
    t.text('error');
    t.timestamp('generated_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['digest', 'mime_type', 'id']);
  });
  await knex.raw(`alter table scan_reports add constraint scan_reports_status check (status in ('Pending', 'Running', 'Success', 'Error', 'Stopped'))`);

  // Who pushed a digest into a project first (copies and promotions are not pushes): the approval gate never
  // counts the pusher's own approval.
  await knex.schema.createTable('artifact_origins', (t) => {
    t.text('digest').notNullable();
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('repository').notNullable();
    t.text('pusher').notNullable();
    t.timestamp('pushed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['digest', 'project_id']);
    t.index(['digest']);
  });

  await knex.schema.createTable('approvals', (t) => {
    t.bigIncrements('id').primary();
    t.text('ladder').notNullable();
    // The stage the approval lets the artifact enter.
    t.text('stage').notNullable();
    t.text('digest').notNullable();
    t.integer('approver_id');
    t.text('approver').notNullable();
    t.text('comment').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    // The promotion that used it; a used approval cannot be revoked (the record must stay true).
    t.bigInteger('promotion_id');
    t.index(['digest', 'ladder', 'stage']);
  });
  // One live approval per approver, artifact and stage.
  await knex.raw('create unique index approvals_live on approvals (ladder, stage, digest, approver) where revoked_at is null');

  // Promotion records, kept with their project ids and names: a record outlives the projects it names.
  await knex.schema.createTable('promotions', (t) => {
    t.bigIncrements('id').primary();
    t.text('ladder').notNullable();
    t.integer('ladder_version').notNullable();
    t.text('from_stage').notNullable();
    t.text('to_stage').notNullable();
    t.integer('from_project_id');
    t.text('from_project').notNullable();
    t.integer('to_project_id');
    t.text('to_project').notNullable();
    // The repository's name inside the project (the same in both stages).
    t.text('repository').notNullable();
    t.text('digest').notNullable();
    t.jsonb('tags').notNullable().defaultTo('[]');
    // pending (gates passed, copy under way: a kill leaves this visible), promoted, blocked
    t.text('status').notNullable();
    t.text('operator').notNullable();
    t.text('address');
    // Every gate's inputs and result, as evaluated.
    t.jsonb('gates').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['digest']);
    t.index(['from_project_id', 'id']);
    t.index(['to_project_id', 'id']);
    t.index(['ladder', 'to_stage', 'id']);
  });
  await knex.raw(`alter table promotions add constraint promotions_status check (status in ('pending', 'promoted', 'blocked'))`);

  // Tags a promotion applied in a stage whose ladder keeps promoted tags immutable.
  await knex.schema.createTable('promoted_tags', (t) => {
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('repository').notNullable();
    t.text('tag').notNullable();
    t.text('digest').notNullable();
    t.bigInteger('promotion_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['project_id', 'repository', 'tag']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['promoted_tags', 'promotions', 'approvals', 'artifact_origins', 'scan_reports', 'cve_allowlists', 'policy_documents']) {
    await knex.schema.dropTableIfExists(table);
  }
}
