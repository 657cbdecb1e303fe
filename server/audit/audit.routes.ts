import type Router from '@koa/router';
import type { Context } from 'koa';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import type { Principal } from '../auth/principal.ts';
import { authorizeProject, type ProjectRouteDeps } from '../projects/projects.routes.ts';
import { presentAuditLog, presentAuditLogExt } from './audit.presenter.ts';
import { auditQueryColumns, auditSortColumns, type AuditRow } from './audit.repo.ts';
import type { AuditQuery, AuditService } from './audit.service.ts';

function readQuery(ctx: Context): AuditQuery & { page: ReturnType<typeof readHarborPage> } {
  const page = readHarborPage(ctx);
  return {
    page,
    terms: parseHarborQuery(ctx.query.q, Object.keys(auditQueryColumns)),
    sort: parseHarborSort(ctx.query.sort, auditSortColumns),
    offset: (page.page - 1) * page.pageSize,
    limit: page.pageSize,
  };
}

/**
 * The audit log: Harbor's `/audit-logs` and `/projects/{p}/logs` (AuditLog) and their 2.13 successors
 * `/auditlog-exts` and `/projects/{p}/auditlog-exts` (AuditLogExt), with Harbor's `q` (`username`, `resource`,
 * `resource_type`, `operation`, `op_time=[from~to]`), `sort` and paging.
 */
export function mountAuditRoutes(router: Router, deps: ProjectRouteDeps & { audit: AuditService }): void {
  const views: Array<[string, (r: AuditRow) => Record<string, unknown>]> = [
    ['logs', presentAuditLog],
    ['auditlog-exts', presentAuditLogExt],
  ];
  for (const [path, present] of views) {
    router.get(path === 'logs' ? '/audit-logs' : '/auditlog-exts', async (ctx) => {
      const query = readQuery(ctx);
      const result = await deps.audit.page(ctx.state.principal as Principal, query);
      setPageHeaders(ctx, query.page, result.total);
      ctx.body = result.rows.map(present);
    });
    router.get(`/projects/:project_name_or_id/${path}`, async (ctx) => {
      const project = await authorizeProject(ctx, deps, 'log:list');
      const query = readQuery(ctx);
      const result = await deps.audit.projectPage(project.id, query);
      setPageHeaders(ctx, query.page, result.total);
      ctx.body = result.rows.map(present);
    });
  }
}
