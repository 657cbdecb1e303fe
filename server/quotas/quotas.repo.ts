import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';

/** A quota row with the project it belongs to, as the API shows it. */
export interface QuotaView {
  id: number;
  project_id: number;
  hard: number;
  used: number;
  created_at: Date;
  updated_at: Date;
  project_name: string;
  owner_name: string | null;
}

/**
 * Harbor's quota sort keys. An unlimited hard limit (-1) sorts as the largest, as in Harbor. Fixed SQL only: the
 * caller picks a key, never an expression.
 */
export const quotaSortKeys: Record<string, string> = {
  creation_time: 'q.created_at',
  update_time: 'q.updated_at',
  'hard.storage': 'case when q.hard < 0 then 9223372036854775807 else q.hard end',
  'used.storage': 'used',
};

/** A project's usage: `quotas.used` plus the charges of an unlimited project not yet folded into it (migration 006). */
const usedSql = 'greatest(q.used + coalesce((select sum(d.delta) from quota_usage_deltas d where d.project_id = q.project_id), 0), 0)';

function viewQuery(db: Queryable): Knex.QueryBuilder {
  return db('quotas as q')
    .join('projects as p', 'p.id', 'q.project_id')
    .leftJoin('users as u', 'u.id', 'p.owner_id')
    .select('q.id', 'q.project_id', 'q.hard', db.raw(`${usedSql} as used`), 'q.created_at', 'q.updated_at', 'p.name as project_name', 'u.username as owner_name');
}

const toView = (row: QuotaView): QuotaView => ({ ...row, hard: Number(row.hard), used: Number(row.used) });

/**
 * Quota rows. Usage is written only by the SQL functions that charge and release storage (migration 006), under
 * the project's quota lock; this repository creates rows, changes limits (through the lock too) and reads.
 */
export const quotasRepo = {
  /** Gives a project its quota row (a no-op when it has one). */
  async create(db: Queryable, projectId: number, hard: number): Promise<void> {
    await db('quotas').insert({ project_id: projectId, hard }).onConflict('project_id').ignore();
  },

  async find(db: Queryable, id: number): Promise<QuotaView | undefined> {
    const row = await viewQuery(db).where('q.id', id).first<QuotaView | undefined>();
    return row && toView(row);
  },

  async findByProject(db: Queryable, projectId: number): Promise<QuotaView | undefined> {
    const row = await viewQuery(db).where('q.project_id', projectId).first<QuotaView | undefined>();
    return row && toView(row);
  },

  /** A page of quotas, optionally of one project, sorted by one of `quotaSortKeys` (newest first by default). */
  async page(db: Queryable, opts: { projectId?: number; sort?: { key: string; order: 'asc' | 'desc' }; offset: number; limit: number }): Promise<{ rows: QuotaView[]; total: number }> {
    const filtered = (qb: Knex.QueryBuilder): Knex.QueryBuilder => (opts.projectId === undefined ? qb : qb.where('q.project_id', opts.projectId));
    const [{ count }] = (await filtered(db('quotas as q').join('projects as p', 'p.id', 'q.project_id')).count<Array<{ count: string | number }>>('* as count')) as [
      { count: string | number },
    ];
    const rows = filtered(viewQuery(db));
    const sort = opts.sort ?? { key: 'creation_time', order: 'desc' as const };
    rows.orderByRaw(`${quotaSortKeys[sort.key]!} ${sort.order === 'desc' ? 'desc' : 'asc'}, q.id ${sort.order === 'desc' ? 'desc' : 'asc'}`);
    return { rows: ((await rows.offset(opts.offset).limit(opts.limit)) as QuotaView[]).map(toView), total: Number(count) };
  },

  /**
   * Sets a quota's hard limit under the project's exclusive quota lock, folding pending charges into `used` first
   * (`berth_set_quota_hard`); false when there is no such quota.
   */
  async setHard(db: Queryable, id: number, hard: number): Promise<boolean> {
    const result = await db.raw('select berth_set_quota_hard(?, ?) as project', [id, hard]);
    return (result.rows as Array<{ project: number | null }>)[0]?.project != null;
  },

  /** The project's limit and usage, and which of `digests` it holds already (adding those costs nothing). */
  async standingAmong(db: Queryable, projectId: number, digests: string[]): Promise<{ hard: number; used: number; held: Set<string> } | undefined> {
    const row = await db('quotas as q')
      .where('q.project_id', projectId)
      .first<{ hard: number | string; used: number | string } | undefined>('q.hard', db.raw(`${usedSql} as used`));
    if (!row) return undefined;
    const held = digests.length ? await db('project_blobs').where('project_id', projectId).whereIn('digest', digests).pluck<string[]>('digest') : [];
    return { hard: Number(row.hard), used: Number(row.used), held: new Set(held) };
  },

  /** The project's limit and usage, and whether it already holds `digest` (then adding it costs nothing). */
  async standing(db: Queryable, projectId: number, digest: string): Promise<{ hard: number; used: number; held: boolean } | undefined> {
    const row = await db('quotas as q')
      .where('q.project_id', projectId)
      .first<{ hard: number | string; used: number | string; held: boolean } | undefined>(
        'q.hard',
        db.raw(`${usedSql} as used`),
        db.raw('exists (select 1 from project_blobs pb where pb.project_id = q.project_id and pb.digest = ?) as held', [digest]),
      );
    return row && { hard: Number(row.hard), used: Number(row.used), held: row.held };
  },
};
