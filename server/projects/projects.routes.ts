import type Router from '@koa/router';
import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { requireUser } from '../api/api-access.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { Permission } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseBody } from '../http/validate.ts';
import type { MembersService } from './members.service.ts';
import { projectQueryColumns, projectSortColumns, type ProjectView } from './projects.repo.ts';
import { presentProject } from './projects.presenter.ts';
import { presentQuotaSummary } from '../quotas/quotas.presenter.ts';
import type { AllowlistsService } from '../scanning/allowlists.service.ts';
import { presentAllowlist } from '../scanning/allowlists.presenter.ts';
import { allowlistItems } from '../scanning/allowlists.schema.ts';
import { projectSettings, validateProjectReq } from './projects.schema.ts';
import type { ProjectsService } from './projects.service.ts';
import type { QuotaService } from '../quotas/quotas.service.ts';
import { actorOf } from '../http/actor.ts';

export interface ProjectRouteDeps {
  projects: ProjectsService;
  members: MembersService;
  access: AccessPolicy;
  creationRestriction: 'everyone' | 'adminonly';
  /** For the summary's quota block; omitted, the summary has none. */
  quotas?: QuotaService;
  /** Project CVE allowlists (`cve_allowlist` in the project body); omitted, projects carry none. */
  allowlists?: AllowlistsService;
}

/**
 * The project named by `{project_name_or_id}` (a name when `X-Is-Resource-Name: true` or not numeric), if the
 * caller holds `permission` on it: 401 for anonymous callers, 403 for others.
 */
export async function authorizeProject(ctx: Context, deps: ProjectRouteDeps, permission: Permission): Promise<ProjectView> {
  const param = (ctx.params as Record<string, string>).project_name_or_id ?? '';
  const project = await deps.projects.view(param, ctx.get('x-is-resource-name') === 'true');
  const principal = ctx.state.principal as Principal;
  if (!(await deps.access.can(principal, project, permission))) {
    if (principal.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'sign in first');
    throw new BerthError('DENIED', `you may not ${permission.replace(':', ' ')} in project ${project.name}`);
  }
  return project;
}

async function roleOf(deps: ProjectRouteDeps, principal: Principal, projectId: number) {
  return principal.kind === 'user' ? deps.members.roleOf(projectId, principal.id) : null;
}

/** /api/v2.0/projects: Harbor's shapes. */
export function mountProjectRoutes(router: Router, deps: ProjectRouteDeps): void {
  router.head('/projects', async (ctx) => {
    const name = ctx.query.project_name;
    if (typeof name !== 'string' || !name) throw new BerthError('BAD_REQUEST', 'project_name is required');
    ctx.status = (await deps.projects.findByName(name)) ? 200 : 404;
  });

  router.get('/projects', async (ctx) => {
    const principal = ctx.state.principal as Principal;
    const page = readHarborPage(ctx);
    const terms = parseHarborQuery(ctx.query.q, Object.keys(projectQueryColumns));
    if (typeof ctx.query.name === 'string' && ctx.query.name) terms.push({ key: 'name', op: 'fuzzy', value: ctx.query.name });
    if (ctx.query.public === 'true' || ctx.query.public === 'false') terms.push({ key: 'public', op: 'exact', value: ctx.query.public });
    else if (ctx.query.public !== undefined) throw new BerthError('BAD_REQUEST', 'public must be true or false');
    const result = await deps.projects.page({
      visibleIds: await deps.access.listableProjectIds(principal, () => deps.projects.publicIds()),
      terms,
      sort: parseHarborSort(ctx.query.sort, projectSortColumns),
      offset: (page.page - 1) * page.pageSize,
      limit: page.pageSize,
    });
    setPageHeaders(ctx, page, result.total);
    ctx.body = await Promise.all(result.rows.map(async (p) => presentProject(p, await roleOf(deps, principal, p.id))));
  });

  router.post('/projects', async (ctx) => {
    const user = requireUser(ctx);
    if (deps.creationRestriction === 'adminonly' && !user.sysadmin) throw new BerthError('DENIED', 'only system administrators may create projects');
    const body = await parseBody(ctx, validateProjectReq);
    if (!body.project_name) throw new BerthError('BAD_REQUEST', 'project_name is required');
    if (body.registry_id) throw new BerthError('BAD_REQUEST', 'proxy-cache projects (registry_id) are not supported yet');
    const settings = projectSettings(body, { public: false, metadata: {} });
    // As in Harbor, only administrators choose a project's storage limit; 0 or none means the configured default.
    const storageLimit = user.sysadmin && body.storage_limit ? body.storage_limit : undefined;
    const id = await deps.projects.create({ name: body.project_name, ...settings, ownerId: user.id, storageLimit }, actorOf(ctx));
    if (body.cve_allowlist && deps.allowlists) await deps.allowlists.set(id, allowlistItems(body.cve_allowlist), body.cve_allowlist.expires_at ?? null, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/projects/${id}`);
  });

  router.get('/projects/:project_name_or_id', async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'project:read');
    const allowlist = deps.allowlists ? presentAllowlist(await deps.allowlists.get(project.id)) : undefined;
    ctx.body = { ...presentProject(project, await roleOf(deps, ctx.state.principal as Principal, project.id)), ...(allowlist ? { cve_allowlist: allowlist } : {}) };
  });

  router.put('/projects/:project_name_or_id', async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'project:update');
    const body = await parseBody(ctx, validateProjectReq);
    if (body.project_name && body.project_name !== project.name) throw new BerthError('BAD_REQUEST', 'a project cannot be renamed');
    await deps.projects.update(project, projectSettings(body, project), actorOf(ctx));
    if (body.cve_allowlist && deps.allowlists) await deps.allowlists.set(project.id, allowlistItems(body.cve_allowlist), body.cve_allowlist.expires_at ?? null, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete('/projects/:project_name_or_id', async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'project:delete');
    await deps.projects.delete(project, actorOf(ctx));
    ctx.status = 200;
  });

  router.get('/projects/:project_name_or_id/summary', async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'project:read');
    const counts = await deps.projects.memberCounts(project.id);
    ctx.body = {
      repo_count: project.repo_count,
      project_admin_count: counts.get(1) ?? 0,
      developer_count: counts.get(2) ?? 0,
      guest_count: counts.get(3) ?? 0,
      maintainer_count: counts.get(4) ?? 0,
      limited_guest_count: counts.get(5) ?? 0,
      // Harbor shows the quota to those who may read it (Guest and above).
      ...(deps.quotas && (await deps.access.can(ctx.state.principal as Principal, project, 'quota:read')) ? { quota: presentQuotaSummary(await deps.quotas.forProject(project.id)) } : {}),
    };
  });
}
