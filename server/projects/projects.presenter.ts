import type { RoleId } from '../auth/permissions.ts';
import type { ProjectView } from './projects.repo.ts';

/** Harbor's Project. Metadata values are strings, `public` among them. */
export function presentProject(p: ProjectView, currentUserRole: RoleId | null): Record<string, unknown> {
  return {
    project_id: p.id,
    name: p.name,
    owner_id: p.owner_id ?? 0,
    owner_name: p.owner_name ?? '',
    registry_id: 0,
    creation_time: new Date(p.created_at).toISOString(),
    update_time: new Date(p.updated_at).toISOString(),
    deleted: false,
    togglable: true,
    repo_count: p.repo_count,
    current_user_role_id: currentUserRole ?? 0,
    current_user_role_ids: currentUserRole ? [currentUserRole] : [],
    metadata: { ...p.metadata, public: String(p.public) },
  };
}
