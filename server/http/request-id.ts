import type { Middleware } from 'koa';
import { newRequestId } from '../core/ids.ts';

const acceptable = /^[A-Za-z0-9._-]{1,64}$/;

/** Echoes a sane incoming X-Request-Id (Harbor does) or makes one; logs, events and 5xx messages carry it. */
export const requestId: Middleware = async (ctx, next) => {
  const incoming = ctx.get('x-request-id');
  const id = incoming && acceptable.test(incoming) ? incoming : newRequestId();
  ctx.state.requestId = id;
  ctx.set('X-Request-Id', id);
  await next();
};
