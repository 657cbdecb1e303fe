import type Router from '@koa/router';
import { idParam } from '../api/api-access.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import { parseBody } from '../http/validate.ts';
import { authorizeProject, type ProjectRouteDeps } from '../projects/projects.routes.ts';
import type { ImmutabilityService } from './immutability.service.ts';
import { presentImmutableRule } from './immutable-rules.presenter.ts';
import { ruleSortColumns } from './immutable-rules.repo.ts';
import { validateImmutableRuleReq } from './immutable-rules.schema.ts';
import { actorOf } from '../http/actor.ts';

export interface ImmutableRuleRouteDeps extends ProjectRouteDeps {
  immutability: ImmutabilityService;
}

const base = '/projects/:project_name_or_id/immutabletagrules';

/** /api/v2.0/projects/{project_name_or_id}/immutabletagrules: Harbor's tag immutability rules. */
export function mountImmutableRuleRoutes(router: Router, deps: ImmutableRuleRouteDeps): void {
  router.get(base, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'immutable-tag:list');
    const page = readHarborPage(ctx);
    // No filter keys exist for rules; a q= is refused rather than ignored, so it never silently widens the list.
    parseHarborQuery(ctx.query.q, []);
    const sort = parseHarborSort(ctx.query.sort, ruleSortColumns);
    const result = await deps.immutability.page(project, { sort, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentImmutableRule);
  });

  router.post(base, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'immutable-tag:create');
    const body = await parseBody(ctx, validateImmutableRuleReq);
    const id = await deps.immutability.create(project, body, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/projects/${project.id}/immutabletagrules/${id}`);
  });

  router.put(`${base}/:immutable_rule_id`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'immutable-tag:update');
    const id = idParam(ctx, 'immutable_rule_id');
    const body = await parseBody(ctx, validateImmutableRuleReq);
    await deps.immutability.update(project, id, body, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete(`${base}/:immutable_rule_id`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'immutable-tag:delete');
    await deps.immutability.delete(project, idParam(ctx, 'immutable_rule_id'), actorOf(ctx));
    ctx.status = 200;
  });
}
