import type { AccessPolicy } from '../auth/access.ts';
import type { Permission } from '../auth/permissions.ts';
import { identityOf, type Principal } from '../auth/principal.ts';
import type { ProjectsService } from '../projects/projects.service.ts';

/**
 * Ids of the projects whose repositories the caller may list (undefined: every project), for the lists that span
 * projects (`/repositories`, `/search`, `/statistics`). Users see public projects and their own (administrators all);
 * a robot sees public projects and those its permissions grant `repository:list` in (a `*` grant: all), so these
 * lists agree with what the per-project routes allow.
 */
export async function visibleProjectIds(principal: Principal, access: AccessPolicy, projects: ProjectsService): Promise<number[] | undefined> {
  const who = identityOf(principal);
  if (who.kind !== 'robot') return access.listableProjectIds(who, () => projects.publicIds());
  const permission: Permission = 'repository:list';
  const ids = new Set(await projects.publicIds());
  for (const grant of who.permissions) {
    if (!grant.actions.has(permission)) continue;
    if (grant.namespace === '*') return undefined;
    const project = await projects.findByName(grant.namespace);
    if (project) ids.add(project.id);
  }
  return [...ids];
}
