import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import { num, time, whereTerm } from '../artifacts/sql-terms.ts';

export interface LabelRow {
  id: number;
  name: string;
  description: string;
  color: string;
  scope: 'g' | 'p';
  project_id: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface LabelInput {
  name: string;
  description: string;
  color: string;
  scope: 'g' | 'p';
  projectId: number | null;
}

const toLabel = (r: Record<string, unknown>): LabelRow => ({
  id: num(r.id),
  name: r.name as string,
  description: (r.description as string) ?? '',
  color: (r.color as string) ?? '',
  scope: r.scope as 'g' | 'p',
  project_id: r.project_id === null || r.project_id === undefined ? null : num(r.project_id),
  created_at: time(r.created_at)!,
  updated_at: time(r.updated_at)!,
});

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

export const labelSortColumns = { id: 'l.id', name: 'l.name', creation_time: 'l.created_at', update_time: 'l.updated_at' };

export const labelsRepo = {
  async get(db: Queryable, id: number): Promise<LabelRow | undefined> {
    const row = (await db('labels as l').where('l.id', id).first('l.*')) as Record<string, unknown> | undefined;
    return row ? toLabel(row) : undefined;
  },

  /** Inserts a label; null when the name is taken in its scope (and project). */
  async insert(db: Queryable, l: LabelInput): Promise<number | null> {
    try {
      const [row] = await db('labels')
        .insert({ name: l.name, description: l.description, color: l.color, scope: l.scope, project_id: l.projectId })
        .returning<Array<{ id: number | string }>>('id');
      return num(row!.id);
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  },

  /** Updates name, description and colour; false when the new name is taken. */
  async update(db: Queryable, id: number, changes: { name: string; description: string; color: string }): Promise<boolean> {
    try {
      await db('labels').where({ id }).update({ ...changes, updated_at: db.fn.now() });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  },

  /** Deletes a label; its artifact attachments go with it (ON DELETE CASCADE). */
  async delete(db: Queryable, id: number): Promise<void> {
    await db('labels').where({ id }).delete();
  },

  /** One page of the labels of a scope (and project), `q=name=...`, sorted. */
  async page(
    db: Queryable,
    opts: { scope: 'g' | 'p'; projectId?: number; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: LabelRow[]; total: number }> {
    const base = (): Knex.QueryBuilder => {
      const q = db('labels as l').where('l.scope', opts.scope);
      if (opts.scope === 'p') q.where('l.project_id', opts.projectId!);
      for (const t of opts.terms) whereTerm(q, 'l.name', t);
      return q;
    };
    const [{ count }] = (await base().count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const q = base().select('l.*');
    for (const s of opts.sort.length ? opts.sort : [{ column: 'l.id', order: 'asc' as const }]) q.orderBy(s.column, s.order);
    const rows = (await q.orderBy('l.id').offset(opts.offset).limit(opts.limit)) as Array<Record<string, unknown>>;
    return { rows: rows.map(toLabel), total: num(count) };
  },

  /** The labels attached to each of the given artifacts. */
  async ofArtifacts(db: Queryable, artifactIds: number[]): Promise<Array<LabelRow & { artifact_id: number }>> {
    if (artifactIds.length === 0) return [];
    const rows = (await db('artifact_labels as al')
      .join('labels as l', 'l.id', 'al.label_id')
      .whereIn('al.artifact_id', artifactIds)
      .orderBy(['al.artifact_id', 'l.id'])
      .select('l.*', 'al.artifact_id')) as Array<Record<string, unknown>>;
    return rows.map((r) => ({ ...toLabel(r), artifact_id: num(r.artifact_id) }));
  },

  /** Attaches a label; false when it was attached already. */
  async attach(db: Queryable, artifactId: number, labelId: number): Promise<boolean> {
    const rows = await db('artifact_labels').insert({ artifact_id: artifactId, label_id: labelId }).onConflict(['artifact_id', 'label_id']).ignore().returning('label_id');
    return rows.length > 0;
  },

  /** Detaches a label; false when it was not attached. */
  async detach(db: Queryable, artifactId: number, labelId: number): Promise<boolean> {
    return (await db('artifact_labels').where({ artifact_id: artifactId, label_id: labelId }).delete()) > 0;
  },
};
