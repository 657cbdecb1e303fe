import type { Queryable } from '../db/types.ts';
import { applyHarborQuery, type QueryTerm } from '../http/harbor-query.ts';
import type { WebhookFilters } from './filters.ts';
import type { PayloadFormatName } from './formats/index.ts';

/** A target as stored: Harbor's EventTarget with the auth header sealed (core/secret-box.ts). */
export interface StoredTarget {
  type: 'http';
  address: string;
  auth_header_sealed?: string;
  skip_cert_verify: boolean;
  payload_format: PayloadFormatName;
}

export interface WebhookPolicyRow {
  id: number;
  project_id: number;
  name: string;
  description: string;
  enabled: boolean;
  event_types: string[];
  targets: StoredTarget[];
  filters: WebhookFilters;
  secret_encrypted: string | null;
  timeout_seconds: number;
  max_attempts: number;
  creator: string;
  created_at: Date;
  updated_at: Date;
}

export type PolicyValues = Pick<
  WebhookPolicyRow,
  'name' | 'description' | 'enabled' | 'event_types' | 'targets' | 'filters' | 'secret_encrypted' | 'timeout_seconds' | 'max_attempts'
>;

/** Harbor's `q=` keys and `sort=` keys on the policy list. */
export const policyQueryColumns = { name: 'name', enabled: 'enabled' } as const;
export const policySortColumns = { name: 'name', creation_time: 'created_at', update_time: 'updated_at', id: 'id' } as const;

const jsonColumns = (v: Partial<PolicyValues>): Record<string, unknown> => ({
  ...v,
  ...(v.event_types ? { event_types: JSON.stringify(v.event_types) } : {}),
  ...(v.targets ? { targets: JSON.stringify(v.targets) } : {}),
  ...(v.filters ? { filters: JSON.stringify(v.filters) } : {}),
});

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/** webhook_policies: SQL only. */
export const webhookPoliciesRepo = {
  /** Inserts a policy; null when the project has one of that name. */
  async insert(db: Queryable, projectId: number, creator: string, values: PolicyValues): Promise<number | null> {
    const rows = await db('webhook_policies')
      .insert({ ...jsonColumns(values), project_id: projectId, creator })
      .onConflict(['project_id', 'name'])
      .ignore()
      .returning<Array<{ id: number }>>('id');
    return rows[0]?.id ?? null;
  },

  /** Replaces a policy's values; false when another policy of the project has the new name. */
  async update(db: Queryable, id: number, values: PolicyValues): Promise<boolean> {
    try {
      await db('webhook_policies').where({ id }).update({ ...jsonColumns(values), updated_at: db.fn.now() });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  },

  async delete(db: Queryable, id: number): Promise<boolean> {
    return (await db('webhook_policies').where({ id }).delete()) > 0;
  },

  async find(db: Queryable, projectId: number, id: number): Promise<WebhookPolicyRow | undefined> {
    return db('webhook_policies').where({ project_id: projectId, id }).first<WebhookPolicyRow | undefined>();
  },

  async findById(db: Queryable, id: number): Promise<WebhookPolicyRow | undefined> {
    return db('webhook_policies').where({ id }).first<WebhookPolicyRow | undefined>();
  },

  /** The enabled policies of a project (what the event subscriber needs). */
  async enabledOf(db: Queryable, projectId: number): Promise<WebhookPolicyRow[]> {
    return db('webhook_policies').where({ project_id: projectId, enabled: true }).orderBy('id').select<WebhookPolicyRow[]>('*');
  },

  async page(
    db: Queryable,
    opts: { projectId: number; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: WebhookPolicyRow[]; total: number }> {
    const base = db('webhook_policies').where({ project_id: opts.projectId });
    applyHarborQuery(base, opts.terms, policyQueryColumns);
    const [{ count }] = (await base.clone().count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const list = base.clone();
    // Harbor lists the newest first unless asked otherwise.
    for (const s of opts.sort.length ? opts.sort : [{ column: 'created_at', order: 'desc' as const }]) list.orderBy(s.column, s.order);
    const rows = await list.orderBy('id', 'desc').offset(opts.offset).limit(opts.limit).select<WebhookPolicyRow[]>('*');
    return { rows, total: Number(count) };
  },

  /** The policies of a project for the last-trigger view, which Harbor does not page (a project holds few). */
  async allOf(db: Queryable, projectId: number, limit = 1000): Promise<WebhookPolicyRow[]> {
    return db('webhook_policies').where({ project_id: projectId }).orderBy('id').limit(limit).select<WebhookPolicyRow[]>('*');
  },
};
