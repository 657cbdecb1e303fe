import type { Knex } from 'knex';

/**
 * Issue 4, quotas and tag immutability. Storage is charged to a project by the statements that already record
 * what it holds, so a push costs no extra round trip:
 *
 * - `berth_link_blobs` (new) records verified blobs and links them to repositories, as the link batcher's group
 *   commit did in one statement before, and charges each blob the project does not hold yet, refusing the links
 *   that would pass the project's limit (one result row per refused or charged link).
 * - `berth_push_artifact` (migration 001) also charges a new artifact's manifest bytes and any blob it names that
 *   the project no longer holds (a delete released it while the repository link stayed); over the limit it raises
 *   SQLSTATE BQ001 and the whole push, repository row included, is rolled back.
 * - `berth_delete_artifact` (new) deletes an artifact and releases its manifest and the blobs no other artifact of
 *   the project references.
 *
 * Concurrency (see `berth_quota_lock`): every charge and release of a project happens under its quota lock, a
 * transaction-scoped advisory lock, shared by charges and exclusive for releases and limit changes (the lock queue
 * is fair, so a delete is not starved by a stream of pushes). Charges to a project with a limit also lock its quota
 * row and check the limit against the usage there, so concurrent pushes cannot overshoot. Charges to an unlimited
 * project (the default) go to per-connection rows of `quota_usage_deltas` instead, so its pushes do not queue behind
 * one hot row; the exclusive lock folds those rows into `quotas.used`, so a project's usage is `quotas.used` plus its
 * deltas. Because releases are exclusive, a push that finds a blob already charged cannot have it released under it
 * by a delete that did not see the push's references, and a push waiting behind a delete charges what it released.
 * Deadlock freedom: each function takes the quota locks (projects in id order) after every lock it needs except
 * those of quota, charge, delta, blob and link rows, which are only written while a quota lock is held.
 */
export async function up(knex: Knex): Promise<void> {
  // Charges of unlimited projects, one row per project and connection slot: no hot row on the push path.
  await knex.schema.createTable('quota_usage_deltas', (t) => {
    t.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.integer('slot').notNullable();
    t.bigInteger('delta').notNullable().defaultTo(0);
    t.primary(['project_id', 'slot']);
  });

  // The quota lock of a project (see the comment above). Shared for charges: for a project with a limit (`limited`)
  // its quota row is locked as well and `used` is exact; for an unlimited one `used` is null. Exclusive for releases
  // and limit changes: pending deltas are folded into quotas.used first, so `used` is exact.
  await knex.raw(`
    create function berth_quota_lock(p_project int, p_exclusive boolean, out hard bigint, out used bigint, out limited boolean)
    language plpgsql as $$
    declare
      v_pending bigint;
    begin
      if p_exclusive then
        perform pg_advisory_xact_lock(${lockClass}, p_project);
      else
        perform pg_advisory_xact_lock_shared(${lockClass}, p_project);
      end if;
      -- Read after the lock: a limit cannot change while it is held.
      select q.hard, q.used into hard, used from quotas q where q.project_id = p_project;
      if not found then
        -- A project made outside ProjectsService gets its (unlimited) quota row now; a project that is gone fails
        -- here on the foreign key.
        insert into quotas (project_id) values (p_project) on conflict (project_id) do nothing;
        select q.hard, q.used into hard, used from quotas q where q.project_id = p_project;
      end if;
      limited := hard >= 0;
      if p_exclusive then
        with folded as (delete from quota_usage_deltas d where d.project_id = p_project returning d.delta)
        select coalesce(sum(f.delta), 0) into v_pending from folded f;
        if v_pending <> 0 then
          used := greatest(used + v_pending, 0);
          update quotas set used = berth_quota_lock.used, updated_at = now() where project_id = p_project;
        end if;
      elsif limited then
        -- Charges to a limited project queue on its row, so each checks the limit against the usage before it.
        -- A limited project has no deltas: the limit change that made it one folded them, and none are written since.
        select q.used into used from quotas q where q.project_id = p_project for update;
      else
        used := null;
      end if;
    end $$`);

  await knex.raw(`
    create function berth_link_blobs(p_links jsonb)
    returns table (link_index int, refused boolean, charged bigint, quota_used bigint, quota_hard bigint)
    language plpgsql as $$
    declare
      v_projects int[];
      v_limited int[] := '{}';
      v_refused int[] := '{}';
      v_project int;
      v_lock record;
      v_used bigint;
      v_start bigint;
      v_link record;
    begin
      select array_agg(distinct x.project_id order by x.project_id) into v_projects from jsonb_to_recordset(p_links) as x(project_id int);
      foreach v_project in array v_projects loop
        select * into v_lock from berth_quota_lock(v_project, false);
        continue when not v_lock.limited;
        -- A limited project: its links in arrival order, each charged only if it still fits.
        v_limited := v_limited || v_project;
        v_used := v_lock.used;
        v_start := v_used;
        for v_link in
          select x.idx, x.digest, x.size from jsonb_to_recordset(p_links) as x(idx int, project_id int, digest text, size bigint)
          where x.project_id = v_project order by x.idx
        loop
          continue when exists (select 1 from project_blobs pb where pb.project_id = v_project and pb.digest = v_link.digest);
          link_index := v_link.idx;
          charged := v_link.size;
          quota_hard := v_lock.hard;
          refused := v_used + v_link.size > v_lock.hard;
          if refused then
            v_refused := v_refused || v_link.idx;
          else
            insert into project_blobs (project_id, digest, size) values (v_project, v_link.digest, v_link.size);
            v_used := v_used + v_link.size;
          end if;
          quota_used := v_used;
          return next;
        end loop;
        if v_used <> v_start then
          update quotas set used = v_used, updated_at = now() where project_id = v_project;
        end if;
      end loop;
      -- Everything else in one statement: blob rows, charges to unlimited projects, and the repository links.
      with input as (
        select * from jsonb_to_recordset(p_links) as x(idx int, repository_name text, project_id int, digest text, size bigint)
        where x.idx <> all(v_refused)
      ),
      blob as (
        insert into blobs (digest, size) select distinct on (i.digest) i.digest, i.size from input i order by i.digest
        on conflict (digest) do nothing
      ),
      newly as (
        insert into project_blobs (project_id, digest, size)
          select distinct on (i.project_id, i.digest) i.project_id, i.digest, i.size from input i
          where i.project_id <> all(v_limited) order by i.project_id, i.digest
          on conflict do nothing returning project_blobs.project_id, project_blobs.size
      ),
      usage as (
        insert into quota_usage_deltas (project_id, slot, delta)
          select n.project_id, pg_backend_pid() % ${deltaSlots}, sum(n.size) from newly n group by n.project_id
          on conflict (project_id, slot) do update set delta = quota_usage_deltas.delta + excluded.delta
      )
      insert into repository_blobs (repository_name, project_id, digest)
        select distinct i.repository_name, i.project_id, i.digest from input i
        on conflict (repository_name, digest) do nothing;
    end $$`);

  // Same parameters as migration 001's version; the result gains what the push charged and the quota after it.
  await knex.raw('drop function berth_push_artifact');
  await knex.raw(`
    create function berth_push_artifact(
      p_project_id int, p_repository text, p_digest text, p_manifest bytea, p_media_type text, p_artifact_type text,
      p_config_media_type text, p_config_digest text, p_size bigint, p_annotations jsonb, p_subject_digest text,
      p_blobs jsonb, p_children jsonb, p_tag text
    ) returns table (artifact_id bigint, created boolean, charged bigint, quota_used bigint, quota_hard bigint)
    language plpgsql as $$
    declare
      v_repo int;
      v_id bigint;
      v_created boolean := false;
      v_lock record;
      v_hard bigint;
      v_used bigint;
      v_charged bigint := 0;
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
      -- A retag or re-push within the repository costs nothing; a new artifact pays for its manifest and for the
      -- blobs the project does not hold (the same digest in another repository of the project is already paid for).
      -- Last, so the quota lock is held only until the commit right after.
      if v_created then
        select * into v_lock from berth_quota_lock(p_project_id, false);
        v_hard := v_lock.hard;
        with newly as (
          insert into project_blobs (project_id, digest, size)
            select p_project_id, p_digest, length(p_manifest)
            union all
            -- One index lookup per named blob (a join would be planned as a scan of every blob row).
            select s.project_id, s.digest, s.size from (
              select p_project_id as project_id, d.value as digest, (select b.size from blobs b where b.digest = d.value) as size
              from jsonb_array_elements_text(p_blobs) d offset 0
            ) s where s.size is not null
            on conflict do nothing returning project_blobs.size
        )
        select coalesce(sum(n.size), 0) into v_charged from newly n;
        if v_charged > 0 and v_lock.limited then
          if v_lock.used + v_charged > v_lock.hard then
            raise exception 'storage quota exceeded' using errcode = 'BQ001',
              detail = json_build_object('requested', v_charged, 'used', v_lock.used, 'hard', v_lock.hard)::text;
          end if;
          v_used := v_lock.used + v_charged;
          update quotas set used = v_used, updated_at = now() where project_id = p_project_id;
        elsif v_charged > 0 then
          insert into quota_usage_deltas (project_id, slot, delta) values (p_project_id, pg_backend_pid() % ${deltaSlots}, v_charged)
            on conflict (project_id, slot) do update set delta = quota_usage_deltas.delta + excluded.delta;
        end if;
      end if;
      return query select v_id, v_created, v_charged, v_used, v_hard;
    end $$`);

  await knex.raw(`
    create function berth_delete_artifact(p_id bigint)
    returns table (project int, released bigint, quota_used bigint, quota_hard bigint)
    language plpgsql as $$
    declare
      v_project int;
      v_manifest text;
      v_digests text[];
      v_released bigint;
      v_lock record;
      v_used bigint;
    begin
      select coalesce(array_agg(ab.digest), '{}') into v_digests from artifact_blobs ab where ab.artifact_id = p_id;
      delete from artifacts a where a.id = p_id returning a.project_id, a.digest into v_project, v_manifest;
      if v_project is null then
        return;
      end if;
      v_digests := v_digests || v_manifest;
      -- Exclusive: every push of the project that charged (or found charged) these blobs has committed, and each
      -- statement below sees its references; a push waiting for the lock charges what this releases.
      select * into v_lock from berth_quota_lock(v_project, true);
      with gone as (
        delete from project_blobs pb
        where pb.project_id = v_project and pb.digest = any(v_digests)
          and not exists (
            select 1 from artifact_blobs ab join artifacts a on a.id = ab.artifact_id
            where ab.digest = pb.digest and a.project_id = v_project)
          and not exists (select 1 from artifacts a where a.digest = pb.digest and a.project_id = v_project)
        returning pb.size
      )
      select coalesce(sum(g.size), 0) into v_released from gone g;
      v_used := greatest(v_lock.used - v_released, 0);
      if v_released > 0 then
        update quotas set used = v_used, updated_at = now() where quotas.project_id = v_project;
      end if;
      return query select v_project, v_released, v_used, v_lock.hard;
    end $$`);

  // A limit change folds the project's deltas first, so a limited project's usage is exact in quotas.used.
  await knex.raw(`
    create function berth_set_quota_hard(p_id int, p_hard bigint) returns int language plpgsql as $$
    declare
      v_project int;
    begin
      select q.project_id into v_project from quotas q where q.id = p_id;
      if v_project is null then
        return null;
      end if;
      perform berth_quota_lock(v_project, true);
      update quotas set hard = p_hard, updated_at = now() where id = p_id;
      return v_project;
    end $$`);

  // Two rules with the same selectors in one project are one rule (Harbor refuses the second with 409 too).
  await knex.raw('create unique index immutable_rules_unique on immutable_rules (project_id, md5(rule::text))');
}

/** The advisory lock class of quota locks ("bq"); the object id is the project id. */
const lockClass = 0x6271;
/** Delta rows per project: connections beyond this share a row (and briefly wait for each other). */
const deltaSlots = 64;

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists immutable_rules_unique');
  for (const fn of ['berth_set_quota_hard', 'berth_delete_artifact', 'berth_link_blobs', 'berth_push_artifact', 'berth_quota_lock']) {
    await knex.raw(`drop function if exists ${fn}`);
  }
  await knex.raw(originalPushFunction);
  await knex.raw('update quotas q set used = q.used + coalesce((select sum(d.delta) from quota_usage_deltas d where d.project_id = q.project_id), 0)');
  await knex.schema.dropTableIfExists('quota_usage_deltas');
}

/** Migration 001's push function, restored by `down`. */
const originalPushFunction = `
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
  end $$`;
