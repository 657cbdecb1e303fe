import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import { cosignTagPatternSql } from './accessory-type.ts';
import { num, time, whereTerm } from './sql-terms.ts';

/** A repository as Harbor's Repository presents it. */
export interface RepositoryViewRow {
  id: number;
  project_id: number;
  /** The full name, `<project>/<repository>`. */
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
  artifact_count: number;
  pull_count: number;
}

export const repositoryQueryColumns: Record<string, string> = { name: 'r.name', project_id: 'r.project_id', creation_time: 'r.created_at', update_time: 'r.updated_at' };
export const repositorySortColumns = { name: 'r.name', creation_time: 'r.created_at', update_time: 'r.updated_at', id: 'r.id', pull_count: 'pull_count', artifact_count: 'artifact_count' };

// Harbor's artifact_count counts what its artifact list shows: no accessories, no untagged index children.
const artifactCount = `(select count(*) from artifacts a where a.repository_id = r.id
    and (exists (select 1 from tags t where t.artifact_id = a.id)
         or not exists (select 1 from artifact_children c join artifacts p on p.id = c.parent_id
                         where p.repository_id = a.repository_id and c.child_digest = a.digest))
    and a.subject_digest is null
    and not exists (select 1 from tags t where t.artifact_id = a.id and t.name ~ '${cosignTagPatternSql}'))::int`;
const pullCount = '(select coalesce(sum(a.pull_count), 0) from artifacts a where a.repository_id = r.id)::bigint';

function viewQuery(db: Queryable): Knex.QueryBuilder {
  return db('repositories as r').select(
    'r.id',
    'r.project_id',
    'r.name',
    'r.description',
    'r.created_at',
    'r.updated_at',
    db.raw(`${artifactCount} as artifact_count`),
    db.raw(`${pullCount} as pull_count`),
  );
}

const toView = (r: Record<string, unknown>): RepositoryViewRow => ({
  id: num(r.id),
  project_id: num(r.project_id),
  name: r.name as string,
  description: (r.description as string | null) ?? '',
  created_at: time(r.created_at)!,
  updated_at: time(r.updated_at)!,
  artifact_count: num(r.artifact_count),
  pull_count: num(r.pull_count),
});

export const repositoryViewsRepo = {
  async byName(db: Queryable, name: string): Promise<RepositoryViewRow | undefined> {
    const row = (await viewQuery(db).where('r.name', name).first()) as Record<string, unknown> | undefined;
    return row ? toView(row) : undefined;
  },

  /**
   * One page of repositories: of one project, or of `projectIds` (undefined: every project), filtered by `q`,
   * sorted (Harbor's default: newest first).
   */
  async page(
    db: Queryable,
    opts: { projectId?: number; projectIds?: number[]; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: RepositoryViewRow[]; total: number }> {
    const scoped = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
      if (opts.projectId !== undefined) q.where('r.project_id', opts.projectId);
      if (opts.projectIds) q.whereIn('r.project_id', opts.projectIds);
      for (const t of opts.terms) whereTerm(q, repositoryQueryColumns[t.key]!, t);
      return q;
    };
    const [{ count }] = (await scoped(db('repositories as r')).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const q = scoped(viewQuery(db));
    const sort = opts.sort.length ? opts.sort : [{ column: 'r.created_at', order: 'desc' as const }];
    for (const s of sort) q.orderBy(s.column, s.order);
    const rows = (await q.orderBy('r.id', 'desc').offset(opts.offset).limit(opts.limit)) as Array<Record<string, unknown>>;
    return { rows: rows.map(toView), total: num(count) };
  },

  async updateDescription(db: Queryable, id: number, description: string): Promise<void> {
    await db('repositories').where({ id }).update({ description, updated_at: db.fn.now() });
  },

  /** Deletes the repository row once it holds no artifact; false when one appeared meanwhile (a concurrent push). */
  async deleteIfEmpty(db: Queryable, id: number): Promise<boolean> {
    const deleted = await db('repositories').where({ id }).whereNotExists((q) => q.select(db.raw('1')).from('artifacts').where('repository_id', id)).delete();
    return deleted > 0;
  },

  /** How many repositories the given projects hold (all projects when undefined). */
  async count(db: Queryable, projectIds?: number[]): Promise<number> {
    const q = db('repositories as r');
    if (projectIds) q.whereIn('r.project_id', projectIds);
    const [{ count }] = (await q.count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    return num(count);
  },
};
