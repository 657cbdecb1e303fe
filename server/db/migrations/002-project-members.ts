import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A member is a user ('u') now and an LDAP/OIDC group ('g') later; roles are Harbor's ids (1-5).
  await knex.schema.createTable('project_members', (t) => {
    t.increments('id').primary();
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.specificType('entity_type', 'char(1)').notNullable();
    t.integer('entity_id').notNullable();
    t.smallint('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['project_id', 'entity_type', 'entity_id']);
    t.index(['entity_type', 'entity_id']);
  });
  await knex.raw(`alter table project_members add constraint project_members_entity_type check (entity_type in ('u', 'g'))`);
  await knex.raw('alter table project_members add constraint project_members_role check (role between 1 and 5)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('project_members');
}
