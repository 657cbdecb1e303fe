import type { Queryable } from '../db/types.ts';
import { num } from '../artifacts/sql-terms.ts';

export const statisticsRepo = {
  /** Public and private projects among `ids` (every project when undefined). */
  async projectCounts(db: Queryable, ids?: number[]): Promise<{ public: number; private: number }> {
    const q = db('projects').select(db.raw('count(*) filter (where public) as public'), db.raw('count(*) filter (where not public) as private'));
    if (ids) q.whereIn('id', ids);
    const row = (await q.first()) as { public: unknown; private: unknown };
    return { public: num(row.public), private: num(row.private) };
  },

  /** Repositories in public and in private projects among `ids` (every project when undefined). */
  async repositoryCounts(db: Queryable, ids?: number[]): Promise<{ public: number; private: number }> {
    const q = db('repositories as r')
      .join('projects as p', 'p.id', 'r.project_id')
      .select(db.raw('count(*) filter (where p.public) as public'), db.raw('count(*) filter (where not p.public) as private'));
    if (ids) q.whereIn('p.id', ids);
    const row = (await q.first()) as { public: unknown; private: unknown };
    return { public: num(row.public), private: num(row.private) };
  },

  /** Storage used by every project together, as the quotas count it. */
  async storageUsed(db: Queryable): Promise<number> {
    const row = (await db('quotas').first(db.raw('coalesce(sum(used), 0)::bigint as used'))) as { used: unknown };
    return num(row.used);
  },
};
