import type { QuotaView } from './quotas.repo.ts';

/** Harbor's Quota: the project it limits (`ref`), and `hard`/`used` as resource lists (storage only). */
export function presentQuota(q: QuotaView): Record<string, unknown> {
  return {
    id: q.id,
    ref: { id: q.project_id, name: q.project_name, owner_name: q.owner_name ?? '' },
    hard: { storage: q.hard },
    used: { storage: q.used },
    creation_time: new Date(q.created_at).toISOString(),
    update_time: new Date(q.updated_at).toISOString(),
  };
}

/** Harbor's ProjectSummaryQuota, the `quota` block of `/projects/{p}/summary`. */
export function presentQuotaSummary(q: { hard: number; used: number }): Record<string, unknown> {
  return { hard: { storage: q.hard }, used: { storage: q.used } };
}
