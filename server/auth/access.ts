import type { ProjectRef } from '../projects/projects.service.ts';
import type { Principal } from './principal.ts';

/** What a request wants to do to a repository; the registry API asks for exactly one of these per route. */
export type RepositoryAction = 'pull' | 'push' | 'delete';

/**
 * The access decision for the registry. For now: system administrators may do everything, anyone may pull
 * from a public project. The role and permission table of Harbor's RBAC replaces this body; its signature is
 * the seam.
 */
export function canAccessRepository(principal: Principal, project: ProjectRef, action: RepositoryAction): boolean {
  if (principal.kind === 'user' && principal.sysadmin) return true;
  return action === 'pull' && project.public;
}

/** True when the caller may list every repository in the catalog. */
export const canReadWholeCatalog = (principal: Principal): boolean => principal.kind === 'user' && principal.sysadmin;
