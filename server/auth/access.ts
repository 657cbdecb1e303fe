import type { ProjectRef } from '../projects/projects.service.ts';
import type { MembersService } from '../projects/members.service.ts';
import { publicPermissions, rolePermissions, type Permission } from './permissions.ts';
import type { Principal } from './principal.ts';

/** What a request wants to do to a repository; the registry API asks for exactly one of these per route. */
export type RepositoryAction = 'pull' | 'push' | 'delete';

const repositoryPermission: Record<RepositoryAction, Permission> = {
  pull: 'repository:pull',
  push: 'repository:push',
  delete: 'repository:delete',
};

/**
 * Access decisions from the permission table: system administrators may do everything; a project member what
 * the member's role allows; anyone else what a public project allows. Memberships come from a cache, so a
 * decision on the pull path costs no query once warm.
 */
export class AccessPolicy {
  constructor(private readonly members: MembersService) {}

  async can(principal: Principal, project: ProjectRef, permission: Permission): Promise<boolean> {
    if (principal.kind === 'user') {
      if (principal.sysadmin) return true;
      const role = await this.members.roleOf(project.id, principal.id);
      if (role !== null && rolePermissions[role].has(permission)) return true;
    }
    return project.public && publicPermissions.has(permission);
  }

  canRepository(principal: Principal, project: ProjectRef, action: RepositoryAction): Promise<boolean> {
    return this.can(principal, project, repositoryPermission[action]);
  }

  /** Ids of the projects whose repositories the caller may list; undefined means every project. */
  async listableProjectIds(principal: Principal, publicIds: () => Promise<number[]>): Promise<number[] | undefined> {
    if (principal.kind === 'user' && principal.sysadmin) return undefined;
    const ids = new Set(await publicIds());
    if (principal.kind === 'user') for (const id of await this.members.projectIdsOf(principal.id)) ids.add(id);
    return [...ids];
  }
}
