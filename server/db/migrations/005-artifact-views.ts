import type { Knex } from 'knex';

/**
 * Issue 4 (artifacts API): indexes for the artifact lists, which page newest first within a repository or a
 * project (Harbor's default order), so a page is an index scan instead of a sort of every artifact.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index artifacts_repository_pushed on artifacts (repository_id, push_time desc, id desc)');
  await knex.raw('create index artifacts_project_pushed on artifacts (project_id, push_time desc, id desc)');
  await knex.raw('create index repositories_created on repositories (created_at desc, id desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists repositories_created');
  await knex.raw('drop index if exists artifacts_project_pushed');
  await knex.raw('drop index if exists artifacts_repository_pushed');
}
