import type { Context } from 'koa';
import type { Actor } from '../core/actor.ts';
import { anonymous, operatorOf, type Principal } from '../auth/principal.ts';

// host[:port] or [v6]:port; anything else a client sends as Host is not passed on.
const plausibleHost = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** The request's actor: the authenticated principal's name, the client's address, the request id and Host. */
export function actorOf(ctx: Context): Actor {
  const host = ctx.host;
  return {
    name: operatorOf((ctx.state.principal as Principal | undefined) ?? anonymous),
    address: ctx.ip,
    requestId: ctx.state.requestId as string | undefined,
    ...(plausibleHost.test(host) ? { host } : {}),
  };
}
