import type { Queryable } from '../db/types.ts';

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

  /** Records a verified blob and links it to a repository; both are idempotent so concurrent pushes converge. */
  async link(db: Queryable, args: { repositoryName: string; projectId: number; digest: string; size: number }): Promise<void> {
    // One statement (atomic, one round trip): the foreign key is checked at its end, after the blob row exists.
    await db.raw(
      `with blob as (insert into blobs (digest, size) values (?, ?) on conflict (digest) do nothing)
       insert into repository_blobs (repository_name, project_id, digest) values (?, ?, ?)
       on conflict (repository_name, digest) do nothing`,
      [args.digest, args.size, args.repositoryName, args.projectId, args.digest],
    );
  },

  async unlink(db: Queryable, repositoryName: string, digest: string): Promise<number> {
    return db('repository_blobs').where({ repository_name: repositoryName, digest }).delete();
  },
};
