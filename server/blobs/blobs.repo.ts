import type { Queryable } from '../db/types.ts';

export interface BlobLink {
  repositoryName: string;
  projectId: number;
  digest: string;
  size: number;
}

/** What linking a blob did to its project's quota: refused (nothing written), or charged `charged` bytes. */
export interface LinkCharge {
  refused: boolean;
  /** The blob's size: what it cost, or would have. */
  charged: number;
  /** The project's usage after the link (or, when refused, as it stays). */
  used: number;
  hard: number;
}

/** Blob rows and the repository links that decide who may read them. */
export const blobsRepo = {
  /** Size of a blob when `repositoryName` may serve it, else null. */
  async linkedSize(db: Queryable, repositoryName: string, digest: string): Promise<number | null> {
    const row = await db('repository_blobs as rb')
      .join('blobs as b', 'b.digest', 'rb.digest')
      .where({ 'rb.repository_name': repositoryName, 'rb.digest': digest })
      .first<{ size: number } | undefined>('b.size');
    return row ? row.size : null;
  },

  /** Of `digests`, those linked to the repository (one query for a whole manifest). */
  async linkedAmong(db: Queryable, repositoryName: string, digests: string[]): Promise<Map<string, number>> {
    if (digests.length === 0) return new Map();
    const rows = await db('repository_blobs as rb')
      .join('blobs as b', 'b.digest', 'rb.digest')
      .where('rb.repository_name', repositoryName)
      .whereIn('rb.digest', digests)
      .select<Array<{ digest: string; size: number }>>('b.digest', 'b.size');
    return new Map(rows.map((r) => [r.digest, r.size]));
  },

  /**
   * Records verified blobs, charges each to its project's storage quota unless the project already holds it, and
   * links them to repositories, in one atomic statement (`berth_link_blobs`, migration 006). Idempotent, so
   * concurrent pushes converge. A link that would pass its project's limit is refused and not written; the others
   * are. Returns, by position in `links`, every link refused or charged to a limited project (with the quota after
   * it); links absent from the result were written.
   */
  async linkMany(db: Queryable, links: BlobLink[]): Promise<Map<number, LinkCharge>> {
    const input = JSON.stringify(links.map((l, idx) => ({ idx, repository_name: l.repositoryName, project_id: l.projectId, digest: l.digest, size: l.size })));
    const result = await db.raw('select link_index, refused, charged, quota_used, quota_hard from berth_link_blobs(?::jsonb)', [input]);
    const rows = result.rows as Array<{ link_index: number; refused: boolean; charged: number | string; quota_used: number | string; quota_hard: number | string }>;
    return new Map(rows.map((r) => [r.link_index, { refused: r.refused, charged: Number(r.charged), used: Number(r.quota_used), hard: Number(r.quota_hard) }]));
  },

  async unlink(db: Queryable, repositoryName: string, digest: string): Promise<number> {
    return db('repository_blobs').where({ repository_name: repositoryName, digest }).delete();
  },
};
