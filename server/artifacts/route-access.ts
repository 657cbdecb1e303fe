import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { Permission } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import type { ProjectRef } from '../projects/projects.service.ts';

/** A denial as the management API answers it: 401 for anonymous callers (sign in first), 403 for everyone else. */
export function denial(principal: Principal, message: string): BerthError {
  return principal.kind === 'anonymous' ? new BerthError('UNAUTHORIZED', 'sign in first') : new BerthError('DENIED', message);
}

/** Throws the denial unless the caller holds `permission` in the project. */
export async function requireProjectPermission(ctx: Context, access: AccessPolicy, project: ProjectRef, permission: Permission): Promise<void> {
  const principal = ctx.state.principal as Principal;
  if (!(await access.can(principal, project, permission))) throw denial(principal, `you may not ${permission.replace(':', ' ')} in project ${project.name}`);
}

/** The caller must be signed in (a user or a robot): 401 for anonymous callers. */
export function requireAuthenticated(ctx: Context): Principal {
  const principal = ctx.state.principal as Principal;
  if (principal.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'sign in first');
  return principal;
}
