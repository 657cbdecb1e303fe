import type { Queryable, RepositoryRow } from '../db/types.ts';

export const repositoriesRepo = {
  /** Returns the repository's id, creating the row on first push. */
  async ensure(db: Queryable, projectId: number, name: string): Promise<number> {
    const [row] = await db('repositories')
      .insert({ project_id: projectId, name })
      .onConflict('name')
      .merge({ updated_at: db.fn.now() })
      .returning<Array<{ id: number }>>('id');
    return row!.id;
  },

  async findByName(db: Queryable, name: string): Promise<RepositoryRow | undefined> {
    return db('repositories').where({ name }).first<RepositoryRow | undefined>();
  },

  /**
   * Repository names after `last` in lexical order, for the catalog. `projectIds` limits the result to projects the
   * caller may read (undefined: all).
   */
  async names(db: Queryable, opts: { last?: string; limit: number; projectIds?: number[] }): Promise<string[]> {
    const q = db('repositories').orderBy('name').limit(opts.limit).pluck<string[]>('name');
    if (opts.last) q.where('name', '>', opts.last);
    if (opts.projectIds) q.whereIn('project_id', opts.projectIds);
    return q;
  },
};
