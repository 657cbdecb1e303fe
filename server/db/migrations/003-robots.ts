import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('robots', (t) => {
    t.increments('id').primary();
    // The full login name, prefix included (`robot-<project>+<name>` or `robot-<name>`).
    t.text('name').notNullable().unique();
    t.text('description').notNullable().defaultTo('');
    t.text('level').notNullable();
    t.integer('project_id').references('projects.id').onDelete('CASCADE');
    // The secret is shown once at creation (and refresh); only its scrypt hash is kept.
    t.text('secret_hash').notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    // Days from creation; -1 never expires. expires_at is null for robots that never expire.
    t.integer('duration').notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.jsonb('permissions').notNullable();
    t.integer('creator_id').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id']);
  });
  await knex.raw(`alter table robots add constraint robots_level check (level in ('system', 'project'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('robots');
}
