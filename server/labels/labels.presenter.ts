import type { LabelRow } from './labels.repo.ts';

/** Harbor's Label. */
export const presentLabel = (l: LabelRow): Record<string, unknown> => ({
  id: l.id,
  name: l.name,
  description: l.description,
  color: l.color,
  scope: l.scope,
  project_id: l.project_id ?? 0,
  creation_time: l.created_at.toISOString(),
  update_time: l.updated_at.toISOString(),
});
