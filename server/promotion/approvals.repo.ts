import type { Queryable } from '../db/types.ts';

export interface ApprovalRow {
  id: number;
  ladder: string;
  stage: string;
  digest: string;
  approver_id: number | null;
  approver: string;
  comment: string;
  created_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  promotion_id: number | null;
}

export const approvalsRepo = {
  /** Records an approval; null when the approver already has a live one for this artifact and stage. */
  async insert(db: Queryable, a: { ladder: string; stage: string; digest: string; approverId: number; approver: string; comment: string }): Promise<number | null> {
    const result = await db.raw(
      `insert into approvals (ladder, stage, digest, approver_id, approver, comment) values (?, ?, ?, ?, ?, ?)
       on conflict (ladder, stage, digest, approver) where revoked_at is null do nothing returning id`,
      [a.ladder, a.stage, a.digest, a.approverId, a.approver, a.comment],
    );
    const row = (result.rows as Array<{ id: number | string }>)[0];
    return row ? Number(row.id) : null;
  },

  async find(db: Queryable, id: number): Promise<ApprovalRow | undefined> {
    return db('approvals').where({ id }).first<ApprovalRow | undefined>();
  },

  /** Every approval of a digest in a ladder (revoked ones too), newest first; optionally for one stage. */
  async list(db: Queryable, ladder: string, digest: string, stage?: string): Promise<ApprovalRow[]> {
    const q = db('approvals').where({ ladder, digest }).orderBy('id', 'desc');
    if (stage) q.where({ stage });
    return q.select<ApprovalRow[]>('*');
  },

  /** The live (not revoked) approvals for entering `stage`. */
  async live(db: Queryable, ladder: string, stage: string, digest: string): Promise<ApprovalRow[]> {
    return db('approvals').where({ ladder, stage, digest }).whereNull('revoked_at').orderBy('id').select<ApprovalRow[]>('*');
  },

  /** Revokes an approval no promotion has used; false when it is used or revoked already. */
  async revoke(db: Queryable, id: number, by: string): Promise<boolean> {
    const n = await db('approvals').where({ id }).whereNull('revoked_at').whereNull('promotion_id').update({ revoked_at: db.fn.now(), revoked_by: by });
    return n > 0;
  },

  /** Marks the approvals a promotion counted as used by it (they can no longer be revoked). */
  async markUsed(db: Queryable, ids: number[], promotionId: number): Promise<void> {
    if (ids.length) await db('approvals').whereIn('id', ids).whereNull('promotion_id').update({ promotion_id: promotionId });
  },
};
