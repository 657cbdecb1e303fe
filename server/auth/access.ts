import type { ProjectRef } from '../projects/projects.service.ts';
import type { MembersService } from '../projects/members.service.ts';
import { publicPermissions, rolePermissions, roles, type Permission } from './permissions.ts';
import { identityOf, type Principal, type TokenPrincipal } from './principal.ts';

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
    // A registry token is not a login: it allows exactly what it lists (checked by canRepository), nothing else.
    if (principal.kind === 'token') return false;
    if (principal.kind === 'robot') {
      // A robot has its own list, plus what a public project grants to anyone.
      if (principal.permissions.some((p) => (p.namespace === '*' || p.namespace === project.name) && p.actions.has(permission))) return true;
    }
    if (principal.kind === 'user') {
      if (principal.sysadmin) return true;
      const role = await this.members.roleOf(project.id, principal.id);
      if (role !== null && rolePermissions[role].has(permission)) return true;
    }
    return project.public && publicPermissions.has(permission);
  }

  /** Every permission the caller holds in a project, sorted (for `/users/current/permissions`). */
  async permissionsIn(principal: Principal, project: ProjectRef): Promise<Permission[]> {
    const all = [...rolePermissions[roles.projectAdmin]];
    const held: Permission[] = [];
    for (const p of all) if (await this.can(principal, project, p)) held.push(p);
    return held.sort();
  }

  /** May the caller do `action` to the repository `name` of `project`? Tokens answer from their grants. */
  async canRepository(principal: Principal, project: ProjectRef, name: string, action: RepositoryAction): Promise<boolean> {
    if (principal.kind === 'token') return tokenAllows(principal, name, action);
    return this.can(principal, project, repositoryPermission[action]);
  }

  /** Ids of the projects whose repositories the caller may list; undefined means every project. */
  async listableProjectIds(principal: Principal, publicIds: () => Promise<number[]>): Promise<number[] | undefined> {
    principal = identityOf(principal);
    if (principal.kind === 'user' && principal.sysadmin) return undefined;
    const ids = new Set(await publicIds());
    if (principal.kind === 'user') for (const id of await this.members.projectIdsOf(principal.id)) ids.add(id);
    return [...ids];
  }
}

/** Whether a token's grants cover an action on a repository (`*` covers every action). */
export function tokenAllows(principal: TokenPrincipal, repository: string, action: RepositoryAction): boolean {
  const actions = principal.repositories.get(repository);
  return actions !== undefined && (actions.has(action) || actions.has('*'));
}
