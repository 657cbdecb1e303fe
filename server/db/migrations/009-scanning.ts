import type { Knex } from 'knex';

/**
 * Issue 7: scanner registrations (Harbor's /scanners) and the project's choice among them, the OSV advisory
 * database with its import history, and the scan lifecycle on scan_reports (who scanned, when it started and
 * ended, the log Harbor's scan log endpoint shows).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('scanners', (t) => {
    t.increments('id').primary();
    t.text('uuid').notNullable().unique();
    t.text('name').notNullable().unique();
    t.text('description').notNullable().defaultTo('');
    t.text('url').notNullable();
    t.text('auth').notNullable().defaultTo('');
    // The adapter's credential, sealed with the secret box; never returned by the API.
    t.text('access_credential');
    t.boolean('skip_cert_verify').notNullable().defaultTo(false);
    t.boolean('use_internal_addr').notNullable().defaultTo(false);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.boolean('is_default').notNullable().defaultTo(false);
    // The scanner built into Berth: registered at start, cannot be deleted or pointed elsewhere.
    t.boolean('builtin').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // At most one default.
  await knex.raw('create unique index scanners_one_default on scanners (is_default) where is_default');

  await knex.schema.createTable('project_scanners', (t) => {
    t.integer('project_id').primary().references('projects.id').onDelete('CASCADE');
    t.integer('scanner_id').notNullable().references('scanners.id').onDelete('CASCADE');
  });

  await knex.schema.createTable('advisories', (t) => {
    t.text('id').primary();
    // Which configured source (path or URL) it was imported from; an import replaces its source's set.
    t.text('source').notNullable();
    t.timestamp('modified', { useTz: true }).notNullable();
    t.timestamp('published', { useTz: true });
    t.timestamp('withdrawn', { useTz: true });
    t.jsonb('aliases').notNullable().defaultTo('[]');
    t.text('summary').notNullable().defaultTo('');
    t.jsonb('document').notNullable();
    t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['source']);
  });

  // One row per affected package of an advisory: matching is a lookup by (ecosystem, name).
  await knex.schema.createTable('advisory_packages', (t) => {
    t.bigIncrements('id').primary();
    t.text('advisory_id').notNullable().references('advisories.id').onDelete('CASCADE');
    // The OSV ecosystem's name (`Debian`) and release (`12`, `v3.19`, `22.04`; '' when the advisory has none).
    t.text('ecosystem').notNullable();
    t.text('release').notNullable().defaultTo('');
    // The package name as matched (PyPI names normalised by PEP 503).
    t.text('name').notNullable();
    t.integer('affected_index').notNullable();
    t.index(['ecosystem', 'name']);
    t.index(['advisory_id']);
  });

  await knex.schema.createTable('advisory_imports', (t) => {
    t.bigIncrements('id').primary();
    t.text('source').notNullable();
    t.text('status').notNullable();
    t.integer('total').notNullable().defaultTo(0);
    t.integer('added').notNullable().defaultTo(0);
    t.integer('updated').notNullable().defaultTo(0);
    t.integer('removed').notNullable().defaultTo(0);
    t.integer('rejected').notNullable().defaultTo(0);
    t.text('error');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['source', 'id']);
  });

  await knex.schema.alterTable('scan_reports', (t) => {
    t.integer('scanner_id').references('scanners.id').onDelete('SET NULL');
    t.text('repository');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.bigInteger('job_id');
    t.text('log').notNullable().defaultTo('');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scan_reports', (t) => {
    t.dropColumns('scanner_id', 'repository', 'started_at', 'finished_at', 'job_id', 'log');
  });
  for (const table of ['advisory_imports', 'advisory_packages', 'advisories', 'project_scanners', 'scanners']) await knex.schema.dropTableIfExists(table);
}
