import type { ArtifactRow, Queryable } from '../db/types.ts';
import { rethrowQuotaRefusal } from '../quotas/quota-refusal.ts';

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

export interface PushResult {
  id: number;
  /** False when the digest was already in the repository (a re-push or a retag: nothing is charged). */
  created: boolean;
  /**
   * What a new artifact was charged and the project's limit; `used` (after the charge) is known for a project with a
   * limit, null for an unlimited one (whose usage is kept in per-connection deltas, see migration 006).
   */
  quota?: { charged: number; used: number | null; hard: number };
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
   * Records a pushed manifest in one database call (the `berth_push_artifact` function, migration 001): the
   * repository (created on first push), the artifact with its manifest bytes, blob references and index
   * children, and the tag, atomically. A repeated or concurrent push of the same digest inserts nothing and
   * reports `created: false`. A new artifact is charged to the project's storage quota (its manifest and the blobs
   * the project does not hold yet, migration 006); over the limit nothing is written and a `QuotaRefusal` is thrown.
   */
  async push(db: Queryable, a: NewArtifact & { repositoryName: string; tag?: string }): Promise<PushResult> {
    const result = await db.raw('select artifact_id, created, charged, quota_used, quota_hard from berth_push_artifact(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      a.projectId,
      a.repositoryName,
      a.digest,
      a.manifest,
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
    ]).catch(rethrowQuotaRefusal);
    const row = (result.rows as Array<{ artifact_id: number | string; created: boolean; charged: number | string; quota_used: number | string | null; quota_hard: number | string | null }>)[0]!;
    const quota = row.quota_hard === null ? undefined : { charged: Number(row.charged), used: row.quota_used === null ? null : Number(row.quota_used), hard: Number(row.quota_hard) };
    return { id: Number(row.artifact_id), created: row.created, quota };
  },

  /**
   * Deletes an artifact; its tags, blob references and child rows go with it (ON DELETE CASCADE). Its manifest and
   * the blobs no other artifact of the project references are released from the project's quota in the same
   * statement (`berth_delete_artifact`, migration 006). Null when there was no such artifact.
   */
  async delete(db: Queryable, id: number): Promise<{ projectId: number; released: number; used: number | null; hard: number | null } | null> {
    const result = await db.raw('select project, released, quota_used, quota_hard from berth_delete_artifact(?)', [id]);
    const row = (result.rows as Array<{ project: number; released: number | string; quota_used: number | string | null; quota_hard: number | string | null }>)[0];
    if (!row) return null;
    const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
    return { projectId: row.project, released: Number(row.released), used: num(row.quota_used), hard: num(row.quota_hard) };
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

