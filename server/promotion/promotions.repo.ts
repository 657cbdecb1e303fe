import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';
import type { GateResult } from './gates/gate-result.ts';

export type PromotionStatus = 'pending' | 'promoted' | 'blocked';

export interface PromotionRow {
  id: number;
  ladder: string;
  ladder_version: number;
  from_stage: string;
  to_stage: string;
  from_project_id: number | null;
  from_project: string;
  to_project_id: number | null;
  to_project: string;
  repository: string;
  digest: string;
  tags: string[];
  status: PromotionStatus;
  operator: string;
  address: string | null;
  gates: GateResult[];
  created_at: Date;
}

export type NewPromotion = Omit<PromotionRow, 'id' | 'created_at'>;

export interface PromotionFilter {
  digest?: string;
  /** Records from or to this project. */
  projectId?: number;
  ladder?: string;
  /** Records into this stage. */
  stage?: string;
  status?: PromotionStatus;
  /** Limits to records from or to these projects (undefined: all). */
  visibleProjectIds?: number[];
}

export const promotionsRepo = {
  async insert(db: Queryable, p: NewPromotion): Promise<number> {
    const [row] = await db('promotions')
      .insert({ ...p, tags: JSON.stringify(p.tags), gates: JSON.stringify(p.gates) })
      .returning<Array<{ id: number | string }>>('id');
    return Number(row!.id);
  },

  async setStatus(db: Queryable, id: number, status: PromotionStatus, gates?: GateResult[]): Promise<void> {
    await db('promotions').where({ id }).update({ status, ...(gates ? { gates: JSON.stringify(gates) } : {}) });
  },

  async find(db: Queryable, id: number): Promise<PromotionRow | undefined> {
    return db('promotions').where({ id }).first<PromotionRow | undefined>();
  },

  /** The promotion that put `digest` into the stage's repository, if one did. */
  async lastPromoted(db: Queryable, p: { ladder: string; stage: string; repository: string; digest: string }): Promise<PromotionRow | undefined> {
    return db('promotions')
      .where({ ladder: p.ladder, to_stage: p.stage, repository: p.repository, digest: p.digest, status: 'promoted' })
      .orderBy('id', 'desc')
      .first<PromotionRow | undefined>();
  },

  async page(db: Queryable, filter: PromotionFilter, offset: number, limit: number): Promise<{ rows: PromotionRow[]; total: number }> {
    const where = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
      if (filter.digest) q.where('digest', filter.digest);
      if (filter.ladder) q.where('ladder', filter.ladder);
      if (filter.stage) q.where('to_stage', filter.stage);
      if (filter.status) q.where('status', filter.status);
      if (filter.projectId !== undefined) q.where((w) => w.where('from_project_id', filter.projectId!).orWhere('to_project_id', filter.projectId!));
      if (filter.visibleProjectIds) q.where((w) => w.whereIn('from_project_id', filter.visibleProjectIds!).orWhereIn('to_project_id', filter.visibleProjectIds!));
      return q;
    };
    const [{ count }] = (await where(db('promotions')).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = await where(db('promotions')).orderBy('id', 'desc').offset(offset).limit(limit).select<PromotionRow[]>('*');
    return { rows, total: Number(count) };
  },
};
