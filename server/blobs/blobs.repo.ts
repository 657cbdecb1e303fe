import type { Queryable } from '../db/types.ts';

export interface BlobLink {
  repositoryName: string;
  projectId: number;
  digest: string;
  size: number;
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
   * Records verified blobs and links them to repositories in one atomic statement: the blob rows, then the links
   * (the foreign key is checked at its end). Idempotent, so concurrent pushes converge.
   */
  async linkMany(db: Queryable, links: BlobLink[]): Promise<void> {
    await db.raw(
      `with input as (
         select * from jsonb_to_recordset(?::jsonb) as x(repository_name text, project_id int, digest text, size bigint)
       ),
       blob as (
         insert into blobs (digest, size) select distinct on (digest) digest, size from input
         on conflict (digest) do nothing
       )
       insert into repository_blobs (repository_name, project_id, digest)
       select distinct repository_name, project_id, digest from input
       on conflict (repository_name, digest) do nothing`,
      [JSON.stringify(links.map((l) => ({ repository_name: l.repositoryName, project_id: l.projectId, digest: l.digest, size: l.size })))],
    );
  },

  async unlink(db: Queryable, repositoryName: string, digest: string): Promise<number> {
    return db('repository_blobs').where({ repository_name: repositoryName, digest }).delete();
  },
};
