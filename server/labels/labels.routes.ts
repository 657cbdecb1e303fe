import type Router from '@koa/router';
import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { idParam, requireSysadmin } from '../api/api-access.ts';
import type { AccessPolicy } from '../auth/access.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import { parseBody } from '../http/validate.ts';
import { requireProjectPermission } from '../artifacts/route-access.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { labelSortColumns, type LabelRow } from './labels.repo.ts';
import { presentLabel } from './labels.presenter.ts';
import { validateLabelReq } from './labels.schema.ts';
import type { LabelsService } from './labels.service.ts';
import { actorOf } from '../http/actor.ts';

export interface LabelRouteDeps {
  labels: LabelsService;
  projects: ProjectsService;
  access: AccessPolicy;
}

type LabelAction = 'list' | 'read' | 'create' | 'update' | 'delete';

/**
 * Global labels are read by anyone (artifacts of public projects show them) and kept by administrators; a project's
 * labels need the matching `label:*` permission in that project.
 */
async function authorizeLabel(ctx: Context, deps: LabelRouteDeps, label: Pick<LabelRow, 'scope' | 'project_id'>, action: LabelAction): Promise<void> {
  if (label.scope === 'g') {
    if (action !== 'list' && action !== 'read') requireSysadmin(ctx);
    return;
  }
  const project = await deps.projects.view(String(label.project_id ?? 0), false);
  await requireProjectPermission(ctx, deps.access, project, `label:${action}`);
}


/** `scope` (g, the default, or p) and, for p, `project_id`. */
function listScope(ctx: Context): { scope: 'g' | 'p'; projectId?: number } {
  const scope = ctx.query.scope ?? 'g';
  if (scope !== 'g' && scope !== 'p') throw new BerthError('BAD_REQUEST', 'scope must be g (global) or p (project)');
  if (scope === 'g') return { scope };
  const id = ctx.query.project_id;
  if (typeof id !== 'string' || !/^\d{1,9}$/.test(id) || Number(id) < 1) throw new BerthError('BAD_REQUEST', 'project labels need project_id');
  return { scope, projectId: Number(id) };
}

/** /api/v2.0/labels: Harbor's shapes. */
export function mountLabelRoutes(router: Router, deps: LabelRouteDeps): void {
  router.get('/labels', async (ctx) => {
    const { scope, projectId } = listScope(ctx);
    await authorizeLabel(ctx, deps, { scope, project_id: projectId ?? null }, 'list');
    const page = readHarborPage(ctx);
    const terms = parseHarborQuery(ctx.query.q, ['name']);
    const name = ctx.query.name;
    if (name !== undefined && (typeof name !== 'string' || name.length > 128 || name.includes('\u0000'))) throw new BerthError('BAD_REQUEST', 'name is one label name (or part of one)');
    if (name) terms.push({ key: 'name', op: 'fuzzy', value: name });
    const sort = parseHarborSort(ctx.query.sort, labelSortColumns);
    const result = await deps.labels.page({ scope, projectId, terms, sort, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentLabel);
  });

  router.post('/labels', async (ctx) => {
    const body = await parseBody(ctx, validateLabelReq);
    if (!body.name?.trim()) throw new BerthError('BAD_REQUEST', 'name is required');
    if (!body.scope) throw new BerthError('BAD_REQUEST', 'scope is required: g (global) or p (project)');
    if (body.scope === 'p' && !body.project_id) throw new BerthError('BAD_REQUEST', 'a project label needs project_id');
    if (body.scope === 'g' && body.project_id) throw new BerthError('BAD_REQUEST', 'a global label has no project_id');
    const projectId = body.scope === 'p' ? body.project_id! : null;
    await authorizeLabel(ctx, deps, { scope: body.scope, project_id: projectId }, 'create');
    const id = await deps.labels.create({ name: body.name, description: body.description ?? '', color: body.color ?? '', scope: body.scope, projectId }, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/labels/${id}`);
  });

  router.get('/labels/:label_id', async (ctx) => {
    const label = await deps.labels.get(idParam(ctx, 'label_id'));
    await authorizeLabel(ctx, deps, label, 'read');
    ctx.body = presentLabel(label);
  });

  router.put('/labels/:label_id', async (ctx) => {
    const label = await deps.labels.get(idParam(ctx, 'label_id'));
    await authorizeLabel(ctx, deps, label, 'update');
    const body = await parseBody(ctx, validateLabelReq);
    if ((body.scope && body.scope !== label.scope) || (body.project_id && body.project_id !== (label.project_id ?? 0))) {
      throw new BerthError('BAD_REQUEST', "a label's scope and project cannot change");
    }
    const changes = { name: body.name ?? label.name, description: body.description ?? label.description, color: body.color ?? label.color };
    await deps.labels.update(label, changes, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete('/labels/:label_id', async (ctx) => {
    const label = await deps.labels.get(idParam(ctx, 'label_id'));
    await authorizeLabel(ctx, deps, label, 'delete');
    await deps.labels.delete(label, actorOf(ctx));
    ctx.status = 200;
  });
}
