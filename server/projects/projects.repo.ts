import type { Knex } from 'knex';
import type { ProjectRow, Queryable } from '../db/types.ts';
import { applyHarborQuery, type QueryTerm } from '../http/harbor-query.ts';

/** A project row with what the list and detail views show beside it. */
export interface ProjectView extends ProjectRow {
  owner_name: string | null;
  repo_count: number;
}

export const projectQueryColumns = { name: 'p.name', public: 'p.public', owner: 'u.username', creation_time: 'p.created_at', update_time: 'p.updated_at' };
export const projectSortColumns = { name: 'p.name', creation_time: 'p.created_at', update_time: 'p.updated_at', project_id: 'p.id' };

function viewQuery(db: Queryable): Knex.QueryBuilder {
  return db('projects as p')
    .leftJoin('users as u', 'u.id', 'p.owner_id')
    .select('p.*', 'u.username as owner_name', db.raw('(select count(*) from repositories r where r.project_id = p.id)::int as repo_count'));
}

export const projectsRepo = {
  async findByName(db: Queryable, name: string): Promise<ProjectRow | undefined> {
    return db('projects').where({ name }).first<ProjectRow | undefined>();
  },

  async view(db: Queryable, where: { id: number } | { name: string }): Promise<ProjectView | undefined> {
    const q = viewQuery(db);
    if ('id' in where) q.where('p.id', where.id);
    else q.where('p.name', where.name);
    return q.first<ProjectView | undefined>();
  },

  /** Creates a project unless one of that name exists; returns the stored row either way. */
  async ensure(db: Queryable, p: { name: string; public: boolean; ownerId: number | null }): Promise<ProjectRow> {
    await db('projects').insert({ name: p.name, public: p.public, owner_id: p.ownerId }).onConflict('name').ignore();
    return (await this.findByName(db, p.name))!;
  },

  /** Inserts a project; null when the name is taken. */
  async insert(db: Queryable, p: { name: string; public: boolean; ownerId: number; metadata: Record<string, string> }): Promise<number | null> {
    const rows = await db('projects')
      .insert({ name: p.name, public: p.public, owner_id: p.ownerId, metadata: JSON.stringify(p.metadata) })
      .onConflict('name')
      .ignore()
      .returning<Array<{ id: number }>>('id');
    return rows[0]?.id ?? null;
  },

  async update(db: Queryable, id: number, changes: { public: boolean; metadata: Record<string, string> }): Promise<void> {
    await db('projects').where({ id }).update({ public: changes.public, metadata: JSON.stringify(changes.metadata), updated_at: db.fn.now() });
  },

  async delete(db: Queryable, id: number): Promise<boolean> {
    return (await db('projects').where({ id }).delete()) > 0;
  },

  async publicIds(db: Queryable): Promise<number[]> {
    return db('projects').where({ public: true }).pluck<number[]>('id');
  },

  /** A page of projects, limited to `visibleIds` unless undefined, filtered and sorted as Harbor's list is. */
  async page(
    db: Queryable,
    opts: { visibleIds?: number[]; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: ProjectView[]; total: number }> {
    const filtered = (qb: Knex.QueryBuilder): Knex.QueryBuilder => {
      if (opts.visibleIds) qb.whereIn('p.id', opts.visibleIds);
      applyHarborQuery(qb, opts.terms, projectQueryColumns);
      return qb;
    };
    const countQuery = filtered(db('projects as p').leftJoin('users as u', 'u.id', 'p.owner_id'));
    const [{ count }] = (await countQuery.count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = filtered(viewQuery(db));
    for (const s of opts.sort.length ? opts.sort : [{ column: 'p.name', order: 'asc' as const }]) rows.orderBy(s.column, s.order);
    return { rows: (await rows.offset(opts.offset).limit(opts.limit)) as ProjectView[], total: Number(count) };
  },

  async memberCounts(db: Queryable, projectId: number): Promise<Map<number, number>> {
    const rows = await db('project_members').where({ project_id: projectId }).groupBy('role').select<Array<{ role: number; count: string | number }>>('role', db.raw('count(*) as count'));
    return new Map(rows.map((r) => [r.role, Number(r.count)]));
  },
};
