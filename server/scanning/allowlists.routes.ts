import type Router from '@koa/router';
import { requireSysadmin, requireUser } from '../api/api-access.ts';
import { actorOf } from '../http/actor.ts';
import { parseBody } from '../http/validate.ts';
import { presentAllowlist } from './allowlists.presenter.ts';
import { allowlistItems, validateAllowlistReq } from './allowlists.schema.ts';
import type { AllowlistsService } from './allowlists.service.ts';

/** Harbor's `/system/CVEAllowlist`: readable by every signed-in user, replaced by system administrators. */
export function mountAllowlistRoutes(router: Router, deps: { allowlists: AllowlistsService }): void {
  router.get('/system/CVEAllowlist', async (ctx) => {
    requireUser(ctx);
    ctx.body = presentAllowlist(await deps.allowlists.get(null));
  });

  router.put('/system/CVEAllowlist', async (ctx) => {
    requireSysadmin(ctx);
    const body = await parseBody(ctx, validateAllowlistReq);
    await deps.allowlists.set(null, allowlistItems(body), body.expires_at ?? null, actorOf(ctx));
    ctx.status = 200;
  });
}
