import type { ArtifactRow, Queryable } from '../db/types.ts';

export interface NewArtifact {
  repositoryId: number;
  projectId: number;
  digest: string;
  mediaType: string;
  artifactType?: string;
  configMediaType?: string;
  configDigest?: string;
  manifestSize: number;
  size: number;
  annotations?: Record<string, string>;
  subjectDigest?: string;
  blobDigests: string[];
  children: Array<{ digest: string; platform?: unknown }>;
}

export const artifactsRepo = {
  async find(db: Queryable, repositoryName: string, digest: string): Promise<ArtifactRow | undefined> {
    return db('artifacts as a')
      .join('repositories as r', 'r.id', 'a.repository_id')
      .where({ 'r.name': repositoryName, 'a.digest': digest })
      .first<ArtifactRow | undefined>('a.*');
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

  /** Inserts the artifact with its references; a concurrent or repeated push of the same digest is a no-op. */
  async insert(db: Queryable, a: NewArtifact): Promise<{ id: number; created: boolean }> {
    const inserted = await db('artifacts')
      .insert({
        repository_id: a.repositoryId,
        project_id: a.projectId,
        digest: a.digest,
        media_type: a.mediaType,
        artifact_type: a.artifactType ?? null,
        config_media_type: a.configMediaType ?? null,
        config_digest: a.configDigest ?? null,
        manifest_size: a.manifestSize,
        size: a.size,
        annotations: a.annotations ? JSON.stringify(a.annotations) : null,
        subject_digest: a.subjectDigest ?? null,
      })
      .onConflict(['repository_id', 'digest'])
      .ignore()
      .returning<Array<{ id: number }>>('id');
    if (inserted.length === 0) {
      const row = await db('artifacts').where({ repository_id: a.repositoryId, digest: a.digest }).first<{ id: number }>('id');
      return { id: row!.id, created: false };
    }
    const id = inserted[0]!.id;
    const blobs = [...new Set(a.blobDigests)];
    if (blobs.length) await db('artifact_blobs').insert(blobs.map((digest) => ({ artifact_id: id, digest }))).onConflict().ignore();
    const children = [...new Map(a.children.map((c) => [c.digest, c])).values()];
    if (children.length) {
      await db('artifact_children')
        .insert(children.map((c) => ({ parent_id: id, child_digest: c.digest, platform: c.platform ? JSON.stringify(c.platform) : null })))
        .onConflict()
        .ignore();
    }
    return { id, created: true };
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
      .select<ArtifactRow[]>('a.*');
    if (artifactType) q.where('a.artifact_type', artifactType);
    return q;
  },
};
