import type { Middleware } from 'koa';
import { newRequestId } from '../core/ids.ts';
import { requestContext } from '../core/request-context.ts';

const acceptable = /^[A-Za-z0-9._-]{1,64}$/;
// host[:port] or [v6]:port; anything else a client sends as Host is not passed on.
const plausibleHost = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * Echoes a sane incoming X-Request-Id (Harbor does) or makes one; logs and 5xx messages carry it. The rest of
 * the request runs inside its request context (id and client address), which events pick up for the audit log.
 */
export const requestId: Middleware = async (ctx, next) => {
  const incoming = ctx.get('x-request-id');
  const id = incoming && acceptable.test(incoming) ? incoming : newRequestId();
  ctx.state.requestId = id;
  ctx.set('X-Request-Id', id);
  const host = plausibleHost.test(ctx.host) ? ctx.host : undefined;
  await requestContext.run({ requestId: id, address: ctx.ip, ...(host ? { host } : {}) }, next);
};
