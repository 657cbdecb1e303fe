import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.text('username').notNullable().unique();
    t.text('email').unique();
    t.text('realname');
    t.text('comment');
    t.text('password_hash').notNullable();
    t.boolean('sysadmin').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('projects', (t) => {
    t.increments('id').primary();
    t.text('name').notNullable().unique();
    t.boolean('public').notNullable().defaultTo(false);
    t.integer('owner_id').references('users.id').onDelete('SET NULL');
    // Harbor keeps project metadata as string key/values (auto_scan, severity, ...).
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('repositories', (t) => {
    t.increments('id').primary();
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    // Collation "C": the catalog and tag lists are in byte order, as the distribution spec asks.
    t.specificType('name', 'text collate "C"').notNullable().unique();
    t.text('description');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'name']);
  });

  // Blob bytes are content-addressed and shared; this row says they are stored and verified.
  await knex.schema.createTable('blobs', (t) => {
    t.text('digest').primary();
    t.bigInteger('size').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Which repository may serve which blob (a digest alone never grants access). Keyed by repository name
  // because blobs are uploaded before the first manifest creates the repository row.
  await knex.schema.createTable('repository_blobs', (t) => {
    t.text('repository_name').notNullable();
    t.text('digest').notNullable().references('blobs.digest');
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['repository_name', 'digest']);
    t.index(['digest']);
    t.index(['project_id']);
  });

  await knex.schema.createTable('artifacts', (t) => {
    t.bigIncrements('id').primary();
    t.integer('repository_id').notNullable().references('repositories.id').onDelete('CASCADE');
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('digest').notNullable();
    t.text('media_type').notNullable();
    t.text('artifact_type');
    t.text('config_media_type');
    t.text('config_digest');
    // The manifest's bytes live here, committed with its metadata in one statement: no file to create per push,
    // and no window where one exists without the other. Manifests are small (4 MiB at most).
    t.binary('manifest').notNullable();
    // Manifest size alone; total size (manifest + unique blobs) for display and quotas.
    t.integer('manifest_size').notNullable();
    t.bigInteger('size').notNullable();
    t.jsonb('annotations');
    t.text('subject_digest');
    t.timestamp('push_time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('pull_time', { useTz: true });
    t.unique(['repository_id', 'digest']);
    t.index(['repository_id', 'subject_digest']);
    t.index(['digest']);
  });

  await knex.schema.createTable('artifact_blobs', (t) => {
    t.bigInteger('artifact_id').notNullable().references('artifacts.id').onDelete('CASCADE');
    t.text('digest').notNullable();
    t.primary(['artifact_id', 'digest']);
    t.index(['digest']);
  });

  // Manifests an index names, with their platform, so `--arch` pulls and the UI need not reparse.
  await knex.schema.createTable('artifact_children', (t) => {
    t.bigInteger('parent_id').notNullable().references('artifacts.id').onDelete('CASCADE');
    t.text('child_digest').notNullable();
    t.jsonb('platform');
    t.primary(['parent_id', 'child_digest']);
    t.index(['child_digest']);
  });

  await knex.schema.createTable('tags', (t) => {
    t.bigIncrements('id').primary();
    t.integer('repository_id').notNullable().references('repositories.id').onDelete('CASCADE');
    t.bigInteger('artifact_id').notNullable().references('artifacts.id').onDelete('CASCADE');
    t.specificType('name', 'text collate "C"').notNullable();
    t.timestamp('push_time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('pull_time', { useTz: true });
    t.unique(['repository_id', 'name']);
    t.index(['artifact_id']);
  });

  // A manifest push as one database call (see artifactsRepo.push). PL/pgSQL keeps its statements' plans for the
  // session, where a single large statement is planned again on every push, and each statement here sees rows
  // that concurrent pushes committed meanwhile (READ COMMITTED), so a race needs no retry.
  await knex.raw(`
    create function berth_push_artifact(
      p_project_id int, p_repository text, p_digest text, p_manifest bytea, p_media_type text, p_artifact_type text,
      p_config_media_type text, p_config_digest text, p_size bigint, p_annotations jsonb, p_subject_digest text,
      p_blobs jsonb, p_children jsonb, p_tag text
    ) returns table (artifact_id bigint, created boolean) language plpgsql as $$
    declare
      v_repo int;
      v_id bigint;
      v_created boolean := false;
    begin
      insert into repositories (project_id, name) values (p_project_id, p_repository)
        on conflict (name) do nothing returning id into v_repo;
      if v_repo is null then
        select r.id into v_repo from repositories r where r.name = p_repository;
      end if;
      insert into artifacts (repository_id, project_id, digest, media_type, artifact_type, config_media_type,
                             config_digest, manifest, manifest_size, size, annotations, subject_digest)
        values (v_repo, p_project_id, p_digest, p_media_type, p_artifact_type, p_config_media_type,
                p_config_digest, p_manifest, length(p_manifest), p_size, p_annotations, p_subject_digest)
        on conflict (repository_id, digest) do nothing returning id into v_id;
      if v_id is null then
        select a.id into v_id from artifacts a where a.repository_id = v_repo and a.digest = p_digest;
      else
        v_created := true;
        insert into artifact_blobs (artifact_id, digest)
          select v_id, d.value from jsonb_array_elements_text(p_blobs) d on conflict do nothing;
        insert into artifact_children (parent_id, child_digest, platform)
          select v_id, c.digest, c.platform from jsonb_to_recordset(p_children) as c(digest text, platform jsonb)
          on conflict do nothing;
      end if;
      if p_tag is not null then
        insert into tags (repository_id, name, artifact_id) values (v_repo, p_tag, v_id)
          on conflict (repository_id, name) do update set artifact_id = excluded.artifact_id, push_time = now();
      end if;
      return query select v_id, v_created;
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists berth_push_artifact');
  for (const table of ['tags', 'artifact_children', 'artifact_blobs', 'artifacts', 'repository_blobs', 'blobs', 'repositories', 'projects', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
