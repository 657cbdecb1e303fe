import type { Knex } from 'knex';
import type { AccessPolicy } from '../auth/access.ts';
import { identityOf, type Principal } from '../auth/principal.ts';
import { BerthError } from '../core/errors.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import type { MembersService } from '../projects/members.service.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { auditRepo, type AuditRow } from './audit.repo.ts';

export interface AuditQuery {
  terms: QueryTerm[];
  sort: Array<{ column: string; order: 'asc' | 'desc' }>;
  offset: number;
  limit: number;
}

/**
 * Reading the audit log. Administrators see everything (system entries such as logins included); anyone else sees
 * the entries of the projects where they may list logs (`log:list`: Guest and above, as in Harbor).
 */
export class AuditService {
  constructor(
    private readonly db: Knex,
    private readonly projects: ProjectsService,
    private readonly members: MembersService,
    private readonly access: AccessPolicy,
  ) {}

  /** Entries of one project (the caller's right to see them is checked by the route). */
  projectPage(projectId: number, query: AuditQuery): Promise<{ rows: AuditRow[]; total: number }> {
    return auditRepo.page(this.db, { ...query, projectIds: [projectId] });
  }

  /** Every entry the caller may see. */
  async page(principal: Principal, query: AuditQuery): Promise<{ rows: AuditRow[]; total: number }> {
    const projectIds = await this.visibleProjectIds(principal);
    if (projectIds?.length === 0) return { rows: [], total: 0 };
    return auditRepo.page(this.db, { ...query, projectIds });
  }

  /** undefined: all entries. */
  private async visibleProjectIds(principal: Principal): Promise<number[] | undefined> {
    const who = identityOf(principal);
    if (who.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'sign in first');
    if (who.kind === 'user' && who.sysadmin) return undefined;
    const candidates: number[] = [];
    if (who.kind === 'user') candidates.push(...(await this.members.projectIdsOf(who.id)));
    else {
      for (const p of who.permissions) {
        if (!p.actions.has('log:list')) continue;
        if (p.namespace === '*') return this.projectIdsWithLogs();
        const project = await this.projects.findByName(p.namespace);
        if (project) candidates.push(project.id);
      }
    }
    const visible: number[] = [];
    for (const id of new Set(candidates)) {
      const project = await this.projects.view(String(id), false).catch(() => null);
      if (project && (await this.access.can(who, project, 'log:list'))) visible.push(id);
    }
    return visible;
  }

  private async projectIdsWithLogs(): Promise<number[]> {
    return this.db('projects').pluck<number[]>('id');
  }
}
