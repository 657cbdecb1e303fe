import type { ArtifactRow, Queryable } from '../db/types.ts';

export interface NewArtifact {
  projectId: number;
  digest: string;
  /** The manifest's bytes. */
  manifest: Buffer;
  mediaType: string;
  artifactType?: string;
  configMediaType?: string;
  configDigest?: string;
  size: number;
  annotations?: Record<string, string>;
  subjectDigest?: string;
  blobDigests: string[];
  children: Array<{ digest: string; platform?: unknown }>;
}

/** Every artifact column but the manifest bytes, which only the manifest GET path reads. */
const columns = [
  'a.id', 'a.repository_id', 'a.project_id', 'a.digest', 'a.media_type', 'a.artifact_type', 'a.config_media_type',
  'a.config_digest', 'a.manifest_size', 'a.size', 'a.annotations', 'a.subject_digest', 'a.push_time', 'a.pull_time',
];

export const artifactsRepo = {
  async find(db: Queryable, repositoryName: string, digest: string): Promise<ArtifactRow | undefined> {
    return db('artifacts as a')
      .join('repositories as r', 'r.id', 'a.repository_id')
      .where({ 'r.name': repositoryName, 'a.digest': digest })
      .first<ArtifactRow | undefined>(columns);
  },

  /** The bytes of a manifest (the same in every repository that holds the digest). */
  async manifestBytes(db: Queryable, digest: string): Promise<Buffer | undefined> {
    const row = await db('artifacts').where({ digest }).first<{ manifest: Uint8Array } | undefined>('manifest');
    if (!row) return undefined;
    // node-postgres returns a Buffer, PGlite a Uint8Array: view both as a Buffer without copying.
    return Buffer.isBuffer(row.manifest) ? row.manifest : Buffer.from(row.manifest.buffer, row.manifest.byteOffset, row.manifest.byteLength);
  },

  /** Of `digests`, those that are manifests in the repository (to validate an index's children). */
  async digestsAmong(db: Queryable, repositoryName: string, digests: string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const rows = await db('artifacts as a')
      .join('repositories as r', 'r.id', 'a.repository_id')
      .where('r.name', repositoryName)
      .whereIn('a.digest', digests)
      .pluck<string[]>('a.digest');
    return new Set(rows);
  },

  /**
   * Records a pushed manifest in one statement: the repository (created on first push), the artifact with its
   * manifest bytes, blob references and index children, and the tag. One statement is atomic
   * on its own and costs one round trip instead of eight, which is most of a small image push's database time.
   * A repeated or concurrent push of the same digest inserts nothing and reports `created: false`.
   */
  async push(db: Queryable, a: NewArtifact & { repositoryName: string; tag?: string }): Promise<{ id: number; created: boolean }> {
    const bindings = [
      a.projectId,
      a.repositoryName,
      a.digest,
      a.manifest,
      a.manifest.length,
      a.mediaType,
      a.artifactType ?? null,
      a.configMediaType ?? null,
      a.configDigest ?? null,
      a.size,
      a.annotations ? JSON.stringify(a.annotations) : null,
      a.subjectDigest ?? null,
      JSON.stringify([...new Set(a.blobDigests)]),
      JSON.stringify([...new Map(a.children.map((c) => [c.digest, { digest: c.digest, platform: c.platform ?? null }])).values()]),
      a.tag ?? null,
    ];
    // Under a concurrent push of the same digest (or the first push of the repository), ON CONFLICT waits for
    // the other transaction but this statement's snapshot cannot see its row, so nothing comes back: the retry
    // sees it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await db.raw(pushSql, bindings);
      const row = (result.rows as Array<{ id: number; created: boolean }>)[0];
      if (row) return { id: Number(row.id), created: row.created };
    }
    throw new Error(`artifact ${a.digest} in ${a.repositoryName} neither inserted nor found`);
  },

  /** Deletes an artifact; its tags, blob references and child rows go with it (ON DELETE CASCADE). */
  async delete(db: Queryable, id: number): Promise<void> {
    await db('artifacts').where({ id }).delete();
  },

  /** Indexes in the repository that name `digest` as a child. */
  async parentsOf(db: Queryable, repositoryId: number, digest: string): Promise<string[]> {
    return db('artifact_children as c')
      .join('artifacts as a', 'a.id', 'c.parent_id')
      .where({ 'a.repository_id': repositoryId, 'c.child_digest': digest })
      .pluck<string[]>('a.digest');
  },

  /** Manifests in the repository whose `subject` is `digest`, optionally of one artifact type. */
  async referrers(db: Queryable, repositoryName: string, digest: string, artifactType?: string): Promise<ArtifactRow[]> {
    const q = db('artifacts as a')
      .join('repositories as r', 'r.id', 'a.repository_id')
      .where({ 'r.name': repositoryName, 'a.subject_digest': digest })
      .orderBy('a.id')
      .select<ArtifactRow[]>(columns);
    if (artifactType) q.where('a.artifact_type', artifactType);
    return q;
  },
};

const pushSql = `
with input as (
  select ?::int as project_id, ?::text as repository, ?::text as digest, ?::bytea as manifest, ?::int as manifest_size,
         ?::text as media_type,
         ?::text as artifact_type, ?::text as config_media_type, ?::text as config_digest, ?::bigint as size,
         ?::jsonb as annotations, ?::text as subject_digest, ?::jsonb as blobs, ?::jsonb as children, ?::text as tag
),
new_repo as (
  insert into repositories (project_id, name)
  select project_id, repository from input
  on conflict (name) do nothing
  returning id
),
repo as (
  select id from new_repo
  union all
  select r.id from repositories r, input where r.name = input.repository and not exists (select 1 from new_repo)
),
inserted as (
  insert into artifacts (repository_id, project_id, digest, media_type, artifact_type, config_media_type, config_digest,
                         manifest, manifest_size, size, annotations, subject_digest)
  select repo.id, i.project_id, i.digest, i.media_type, i.artifact_type, i.config_media_type, i.config_digest,
         i.manifest, i.manifest_size, i.size, i.annotations, i.subject_digest
  from repo, input i
  on conflict (repository_id, digest) do nothing
  returning id
),
artifact as (
  select id, true as created from inserted
  union all
  select a.id, false from artifacts a, repo, input i
  where a.repository_id = repo.id and a.digest = i.digest and not exists (select 1 from inserted)
),
blob_refs as (
  insert into artifact_blobs (artifact_id, digest)
  select inserted.id, d.value from inserted, input, jsonb_array_elements_text(input.blobs) d
  on conflict do nothing
),
children as (
  insert into artifact_children (parent_id, child_digest, platform)
  select inserted.id, c.digest, c.platform
  from inserted, input, jsonb_to_recordset(input.children) as c(digest text, platform jsonb)
  on conflict do nothing
),
tagged as (
  insert into tags (repository_id, name, artifact_id)
  select repo.id, input.tag, artifact.id from repo, input, artifact where input.tag is not null
  on conflict (repository_id, name) do update set artifact_id = excluded.artifact_id, push_time = now()
)
select id, created from artifact`;
