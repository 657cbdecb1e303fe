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
 * Race freedom: every write to a project's `project_blobs` rows happens while holding its `quotas` row lock, and the
 * limit is checked under that lock, so concurrent pushes serialise on it and cannot overshoot. Deadlock freedom:
 * each function takes the quota lock after every other row lock it needs (blob rows in digest order, projects in id
 * order), and nothing waits for another row lock while holding a quota lock.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function berth_link_blobs(p_links jsonb)
    returns table (link_index int, refused boolean, charged bigint, quota_used bigint, quota_hard bigint)
    language plpgsql as $$
    declare
      v_projects int[];
      v_limited int[];
      v_locked int;
      v_refused int[] := '{}';
      v_project int;
      v_hard bigint;
      v_used bigint;
      v_start bigint;
      v_link record;
    begin
      select array_agg(distinct x.project_id order by x.project_id) into v_projects from jsonb_to_recordset(p_links) as x(project_id int);
      -- Quota rows first, in project order, then blob rows: one lock order for every caller.
      for attempt in 1..2 loop
        select coalesce(array_agg(q.project_id) filter (where q.hard >= 0), '{}'), count(*) into v_limited, v_locked
          from (select q.project_id, q.hard from quotas q where q.project_id = any(v_projects) order by q.project_id for update) q;
        exit when v_locked = cardinality(v_projects);
        -- A project made outside ProjectsService: give it its (unlimited) quota row now. A project that is gone fails
        -- here on its foreign key, and the link batcher retries the other links on their own.
        insert into quotas (project_id) select unnest(v_projects) on conflict (project_id) do nothing;
      end loop;
      -- Limited projects: links in arrival order, each charged only if it still fits.
      foreach v_project in array v_limited loop
        select q.hard, q.used into v_hard, v_used from quotas q where q.project_id = v_project;
        v_start := v_used;
        for v_link in
          select x.idx, x.digest, x.size from jsonb_to_recordset(p_links) as x(idx int, project_id int, digest text, size bigint)
          where x.project_id = v_project order by x.idx
        loop
          continue when exists (select 1 from project_blobs pb where pb.project_id = v_project and pb.digest = v_link.digest);
          link_index := v_link.idx;
          charged := v_link.size;
          quota_hard := v_hard;
          refused := v_used + v_link.size > v_hard;
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
        update quotas q set used = q.used + n.total, updated_at = now()
          from (select n.project_id, sum(n.size) as total from newly n group by n.project_id) n
          where q.project_id = n.project_id
      )
      insert into repository_blobs (repository_name, project_id, digest)
        select distinct i.repository_name, i.project_id, i.digest from input i
        on conflict (repository_name, digest) do nothing;
    end $$`);

  // Same parameters as migration 001's version; the result gains the quota state after the push.
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
      -- Last, so the quota row lock is held only until the commit right after.
      if v_created then
        select q.hard, q.used into v_hard, v_used from quotas q where q.project_id = p_project_id for update;
        if not found then
          insert into quotas (project_id) values (p_project_id) on conflict (project_id) do nothing;
          select q.hard, q.used into v_hard, v_used from quotas q where q.project_id = p_project_id for update;
        end if;
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
        if v_charged > 0 then
          if v_hard >= 0 and v_used + v_charged > v_hard then
            raise exception 'storage quota exceeded' using errcode = 'BQ001',
              detail = json_build_object('requested', v_charged, 'used', v_used, 'hard', v_hard)::text;
          end if;
          v_used := v_used + v_charged;
          update quotas set used = v_used, updated_at = now() where project_id = p_project_id;
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
      v_hard bigint;
      v_used bigint;
    begin
      select coalesce(array_agg(ab.digest), '{}') into v_digests from artifact_blobs ab where ab.artifact_id = p_id;
      delete from artifacts a where a.id = p_id returning a.project_id, a.digest into v_project, v_manifest;
      if v_project is null then
        return;
      end if;
      v_digests := v_digests || v_manifest;
      -- Under the quota row lock, each statement sees every push committed before it: a blob another artifact of
      -- the project now references stays charged, and a push waiting for the lock charges what was released.
      select q.hard, q.used into v_hard, v_used from quotas q where q.project_id = v_project for update;
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
      if v_released > 0 and v_used is not null then
        v_used := greatest(v_used - v_released, 0);
        update quotas set used = v_used, updated_at = now() where quotas.project_id = v_project;
      end if;
      return query select v_project, v_released, v_used, v_hard;
    end $$`);

  // Two rules with the same selectors in one project are one rule (Harbor refuses the second with 409 too).
  await knex.raw('create unique index immutable_rules_unique on immutable_rules (project_id, md5(rule::text))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists immutable_rules_unique');
  await knex.raw('drop function if exists berth_delete_artifact');
  await knex.raw('drop function if exists berth_link_blobs');
  await knex.raw('drop function if exists berth_push_artifact');
  await knex.raw(originalPushFunction);
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
