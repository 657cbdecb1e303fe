import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';
import type { ImmutableRule, ImmutableRuleDoc } from './immutable-rule.ts';

interface RuleRow {
  id: number;
  project_id: number;
  priority: number;
  disabled: boolean;
  rule: ImmutableRuleDoc;
}

const toRule = (r: RuleRow): ImmutableRule => ({ id: r.id, projectId: r.project_id, priority: r.priority, disabled: r.disabled, doc: r.rule });

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';

export const ruleSortColumns = { id: 'id', priority: 'priority', disabled: 'disabled', creation_time: 'created_at', update_time: 'updated_at' };

/** A rule's fields as written. */
export interface RuleFields {
  priority: number;
  disabled: boolean;
  doc: ImmutableRuleDoc;
}

/** Tag immutability rules of projects (Harbor's ImmutableRule document kept whole in `rule`). */
export const immutableRulesRepo = {
  /** A page of a project's rules, in id order (as Harbor lists them) unless sorted otherwise, with the total. */
  async page(db: Queryable, projectId: number, opts: { sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }): Promise<{ rows: ImmutableRule[]; total: number }> {
    const [{ count }] = (await db('immutable_rules').where({ project_id: projectId }).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const q = db('immutable_rules').where({ project_id: projectId });
    for (const s of opts.sort) q.orderBy(s.column, s.order);
    const rows = await q.orderBy('id').offset(opts.offset).limit(opts.limit).select<RuleRow[]>('*');
    return { rows: rows.map(toRule), total: Number(count) };
  },

  /** Every enabled rule of a project (at most a handful), for evaluation. */
  async enabled(db: Queryable, projectId: number): Promise<ImmutableRule[]> {
    const rows = await db('immutable_rules').where({ project_id: projectId, disabled: false }).orderBy('id').select<RuleRow[]>('*');
    return rows.map(toRule);
  },

  async find(db: Queryable, projectId: number, id: number): Promise<ImmutableRule | undefined> {
    const row = await db('immutable_rules').where({ project_id: projectId, id }).first<RuleRow | undefined>();
    return row && toRule(row);
  },

  /**
   * Adds a rule unless the project already holds `max` rules or one with the same selectors. The project row is
   * locked for the count (FOR NO KEY UPDATE: pushes, which only take key-share locks on it, are not held up).
   */
  async insert(db: Knex, projectId: number, fields: RuleFields, max: number): Promise<{ id: number } | 'full' | 'duplicate'> {
    return db.transaction(async (trx) => {
      await trx('projects').where({ id: projectId }).forNoKeyUpdate().first('id');
      const [{ count }] = (await trx('immutable_rules').where({ project_id: projectId }).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
      if (Number(count) >= max) return 'full' as const;
      const rows = await trx('immutable_rules')
        .insert({ project_id: projectId, priority: fields.priority, disabled: fields.disabled, rule: JSON.stringify(fields.doc) })
        .onConflict()
        .ignore()
        .returning<Array<{ id: number }>>('id');
      return rows[0] ? { id: rows[0].id } : ('duplicate' as const);
    });
  },

  /** Replaces a rule of the project; false when there is none, 'duplicate' when another rule has these selectors. */
  async update(db: Queryable, projectId: number, id: number, fields: RuleFields): Promise<boolean | 'duplicate'> {
    try {
      const n = await db('immutable_rules')
        .where({ project_id: projectId, id })
        .update({ priority: fields.priority, disabled: fields.disabled, rule: JSON.stringify(fields.doc), updated_at: db.fn.now() });
      return n > 0;
    } catch (err) {
      if (isUniqueViolation(err)) return 'duplicate';
      throw err;
    }
  },

  async delete(db: Queryable, projectId: number, id: number): Promise<boolean> {
    return (await db('immutable_rules').where({ project_id: projectId, id }).delete()) > 0;
  },
};
