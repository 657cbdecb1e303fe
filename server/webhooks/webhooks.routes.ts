import type Router from '@koa/router';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseBody } from '../http/validate.ts';
import { authorizeProject } from '../projects/projects.routes.ts';
import { payloadFormatNames } from './formats/index.ts';
import { supportedEventTypes } from './webhook-events.ts';
import { presentLastTrigger, presentPolicy } from './webhooks.presenter.ts';
import { policyQueryColumns, policySortColumns } from './webhooks.repo.ts';
import { validatePolicyReq } from './webhooks.schema.ts';
import { authorizePolicy, type WebhookRouteDeps } from './webhook-access.ts';
import { mountDeliveryRoutes } from './deliveries.routes.ts';
import { actorOf } from '../http/actor.ts';


/** /api/v2.0/projects/{project_name_or_id}/webhook/...: Harbor's webhook API, and Berth's delivery log. */
export function mountWebhookRoutes(router: Router, deps: WebhookRouteDeps): void {
  const base = '/projects/:project_name_or_id/webhook';

  router.get(`${base}/policies`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'notification-policy:list');
    const page = readHarborPage(ctx);
    const result = await deps.webhooks.page({
      projectId: project.id,
      terms: parseHarborQuery(ctx.query.q, Object.keys(policyQueryColumns)),
      sort: parseHarborSort(ctx.query.sort, policySortColumns),
      offset: (page.page - 1) * page.pageSize,
      limit: page.pageSize,
    });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentPolicy);
  });

  router.post(`${base}/policies`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'notification-policy:create');
    const body = await parseBody(ctx, validatePolicyReq);
    const id = await deps.webhooks.create(project, body, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `${ctx.path.replace(/\/$/, '')}/${id}`);
  });

  router.get(`${base}/policies/:webhook_policy_id`, async (ctx) => {
    ctx.body = presentPolicy((await authorizePolicy(ctx, deps, 'notification-policy:read')).policy);
  });

  router.put(`${base}/policies/:webhook_policy_id`, async (ctx) => {
    const { project, policy } = await authorizePolicy(ctx, deps, 'notification-policy:update');
    const body = await parseBody(ctx, validatePolicyReq);
    await deps.webhooks.update(project, policy, body, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete(`${base}/policies/:webhook_policy_id`, async (ctx) => {
    const { project, policy } = await authorizePolicy(ctx, deps, 'notification-policy:delete');
    await deps.webhooks.delete(project, policy, actorOf(ctx));
    ctx.status = 200;
  });

  router.get(`${base}/events`, async (ctx) => {
    await authorizeProject(ctx, deps, 'notification-policy:read');
    ctx.body = { event_type: supportedEventTypes, notify_type: ['http'], payload_formats: [{ notify_type: 'http', formats: payloadFormatNames }] };
  });

  router.get(`${base}/lasttrigger`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'notification-policy:read');
    ctx.body = (await deps.webhooks.lastTriggers(project.id)).map(presentLastTrigger);
  });

  mountDeliveryRoutes(router, deps, `${base}/policies/:webhook_policy_id`);
}
