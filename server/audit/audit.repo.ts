import type { Knex } from 'knex';
import type { Queryable } from '../db/types.ts';
import { applyHarborQuery, type QueryTerm } from '../http/harbor-query.ts';
import type { AuditEntry } from './audit-entries.ts';

export interface AuditRow {
  id: number;
  op_time: Date;
  operator: string;
  address: string | null;
  resource_type: string;
  resource: string;
  operation: string;
  success: boolean;
  project_id: number | null;
  description: string;
  detail: Record<string, unknown> | null;
  count: number;
  request_id: string | null;
}

/** Harbor's `q=` keys for audit logs, and the columns they filter. */
export const auditQueryColumns = {
  username: 'operator',
  operator: 'operator',
  resource: 'resource',
  resource_type: 'resource_type',
  operation: 'operation',
  op_time: 'op_time',
  address: 'address',
} as const;
export const auditSortColumns = { op_time: 'op_time', id: 'id', username: 'operator', resource: 'resource', resource_type: 'resource_type', operation: 'operation' };

export const auditRepo = {
  /** Writes a batch of entries in one statement. */
  async insertMany(db: Queryable, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await db('audit_logs').insert(
      entries.map((e) => ({
        op_time: e.opTime,
        operator: e.operator.slice(0, 255),
        address: e.address,
        request_id: e.requestId,
        resource_type: e.resourceType,
        resource: e.resource.slice(0, 1024),
        operation: e.operation,
        success: e.success,
        project_id: e.projectId,
        description: e.description.slice(0, 2048),
        detail: e.detail ? JSON.stringify(e.detail) : null,
        count: e.count,
      })),
    );
  },

  /** A page of entries, newest first unless sorted otherwise; `projectIds` limits it (undefined: all). */
  async page(
    db: Queryable,
    opts: { projectIds?: number[]; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: AuditRow[]; total: number }> {
    const filtered = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
      if (opts.projectIds) q.whereIn('project_id', opts.projectIds);
      applyHarborQuery(q, opts.terms, auditQueryColumns);
      return q;
    };
    const [{ count }] = (await filtered(db('audit_logs')).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = filtered(db('audit_logs'));
    for (const s of opts.sort.length ? opts.sort : [{ column: 'op_time', order: 'desc' as const }]) rows.orderBy(s.column, s.order);
    rows.orderBy('id', 'desc');
    return { rows: await rows.offset(opts.offset).limit(opts.limit).select<AuditRow[]>('*'), total: Number(count) };
  },

  /** Counts (dry run) or deletes entries older than `before`, optionally of some operations only, in batches. */
  async purge(db: Queryable, before: Date, opts: { operations?: string[]; dryRun: boolean; batch?: number }): Promise<number> {
    const scope = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
      q.where('op_time', '<', before);
      if (opts.operations?.length) q.whereIn('operation', opts.operations);
      return q;
    };
    if (opts.dryRun) {
      const [{ count }] = (await scope(db('audit_logs')).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
      return Number(count);
    }
    const batch = opts.batch ?? 10_000;
    let total = 0;
    for (;;) {
      const n = await db('audit_logs').whereIn('id', scope(db('audit_logs')).limit(batch).select('id')).delete();
      total += n;
      if (n < batch) return total;
    }
  },
};
