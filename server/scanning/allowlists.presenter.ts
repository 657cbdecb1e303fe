import type { CveAllowlist } from './allowlists.service.ts';

/** Harbor's CVEAllowlist: `project_id` 0 for the system's list, `expires_at` in seconds since the epoch or null. */
export const presentAllowlist = (l: CveAllowlist): Record<string, unknown> => ({
  id: l.id,
  project_id: l.projectId ?? 0,
  expires_at: l.expiresAt ? Math.floor(l.expiresAt.getTime() / 1000) : null,
  items: l.items.map((cve_id) => ({ cve_id })),
  creation_time: l.createdAt ? new Date(l.createdAt).toISOString() : null,
  update_time: l.updatedAt ? new Date(l.updatedAt).toISOString() : null,
});
