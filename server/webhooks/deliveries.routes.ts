import type Router from '@koa/router';
import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { idParam } from '../api/api-access.ts';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import type { DeliveryStatus } from './deliveries.repo.ts';
import { deliveryStatusOf, presentDelivery, presentExecution, presentTask, presentTaskLog } from './webhooks.presenter.ts';
import { authorizePolicy, type WebhookRouteDeps } from './webhook-access.ts';

const deliveryStatuses: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

/** `?status=` of the delivery log. */
function statusParam(ctx: Context): DeliveryStatus | undefined {
  const v = ctx.query.status;
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !deliveryStatuses.includes(v as DeliveryStatus)) throw new BerthError('BAD_REQUEST', `status must be one of ${deliveryStatuses.join(', ')}`);
  return v as DeliveryStatus;
}

/** Harbor's `q=status=<Pending|Running|Success|Error>` and `sort=[-]id|start_time` on executions. */
function executionQuery(ctx: Context): { status?: DeliveryStatus; order: 'asc' | 'desc' } {
  const terms = parseHarborQuery(ctx.query.q, ['status']);
  let status: DeliveryStatus | undefined;
  for (const t of terms) {
    const word = t.op === 'exact' ? t.value : undefined;
    if (!word || !Object.hasOwn(deliveryStatusOf, word)) throw new BerthError('BAD_REQUEST', `status must be one of ${Object.keys(deliveryStatusOf).join(', ')}`);
    status = deliveryStatusOf[word];
  }
  const sort = parseHarborSort(ctx.query.sort, { id: 'id', start_time: 'id', creation_time: 'id' });
  return { ...(status ? { status } : {}), order: sort[0]?.order ?? 'desc' };
}

/**
 * The delivery log under `{policy}`: Harbor's executions, tasks and task log (one execution with one task per
 * delivery), and Berth's deliveries with their attempts and redelivery.
 */
export function mountDeliveryRoutes(router: Router, deps: WebhookRouteDeps, policyPath: string): void {
  router.get(`${policyPath}/executions`, async (ctx) => {
    const { policy } = await authorizePolicy(ctx, deps, 'notification-policy:read');
    const page = readHarborPage(ctx);
    const result = await deps.deliveries.page(policy, { ...executionQuery(ctx), offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map((d) => presentExecution(d));
  });

  router.get(`${policyPath}/executions/:execution_id/tasks`, async (ctx) => {
    const { policy } = await authorizePolicy(ctx, deps, 'notification-policy:read');
    const page = readHarborPage(ctx);
    const delivery = await deps.deliveries.get(policy, idParam(ctx, 'execution_id'));
    const tasks = page.page === 1 ? [delivery] : [];
    setPageHeaders(ctx, page, 1);
    ctx.body = tasks.map(presentTask);
  });

  router.get(`${policyPath}/executions/:execution_id/tasks/:task_id/log`, async (ctx) => {
    const { policy } = await authorizePolicy(ctx, deps, 'notification-policy:read');
    const execution = idParam(ctx, 'execution_id');
    const task = idParam(ctx, 'task_id');
    if (task !== execution) throw new BerthError('NOT_FOUND', `task ${task} not found in execution ${execution}`);
    ctx.type = 'text/plain';
    ctx.body = presentTaskLog(await deps.deliveries.get(policy, execution));
  });

  router.get(`${policyPath}/deliveries`, async (ctx) => {
    const { policy } = await authorizePolicy(ctx, deps, 'notification-policy:read');
    const page = readHarborPage(ctx);
    const status = statusParam(ctx);
    const result = await deps.deliveries.page(policy, { ...(status ? { status } : {}), offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map((d) => presentDelivery(d));
  });

  router.get(`${policyPath}/deliveries/:delivery_id`, async (ctx) => {
    const { policy } = await authorizePolicy(ctx, deps, 'notification-policy:read');
    const delivery = await deps.deliveries.get(policy, idParam(ctx, 'delivery_id'));
    ctx.body = presentDelivery(delivery, delivery.body);
  });

  router.post(`${policyPath}/deliveries/:delivery_id/redeliver`, async (ctx) => {
    const { policy } = await authorizePolicy(ctx, deps, 'notification-policy:update');
    const id = await deps.deliveries.redeliver(policy, idParam(ctx, 'delivery_id'));
    ctx.status = 201;
    ctx.set('Location', `${ctx.path.replace(/\/deliveries\/[^/]+\/redeliver$/, '')}/deliveries/${id}`);
    ctx.body = { id };
  });
}
