import type { Context } from 'koa';
import { errorTable } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { actorOf } from './actor.ts';
import { toBerthError } from './render-error.ts';

/** Statuses that mean "not allowed" rather than "not found" or "malformed": the audit log records these. */
const refusals = new Set([403, 412]);

/**
 * Emits `request.refused` for a request that access control or a policy refused (403, 412), so the audit log
 * shows who tried what. 401 challenges are not refusals (clients probe with them) and failed logins are recorded
 * by the authenticator already.
 */
export function noteRefusal(ctx: Context, err: unknown, events: EventBus): void {
  const e = toBerthError(err);
  const status = errorTable[e.code].status;
  if (!refusals.has(status)) return;
  events.emit('request.refused', actorOf(ctx), {
    method: ctx.method,
    path: ctx.path.slice(0, 400),
    status,
    code: e.code,
    message: e.message.slice(0, 500),
  });
}
