import type Router from '@koa/router';
import { requireSysadmin } from '../api/api-access.ts';
import type { BerthConfig } from '../config/config.schema.ts';
import { BerthError } from '../core/errors.ts';
import { readLimitedBody } from '../http/body.ts';
import type { SettingsService } from './settings.service.ts';
import { actorOf } from '../http/actor.ts';

/**
 * Harbor's `/configurations`: every setting Berth has, as `{value, editable}`. The run-time settings can be
 * changed with PUT; the others come from the config file (or are fixed, like the authentication mode) and a PUT
 * naming them is refused rather than ignored.
 */
export function mountSettingsRoutes(router: Router, deps: { settings: SettingsService; config: Readonly<BerthConfig> }): void {
  router.get('/configurations', (ctx) => {
    requireSysadmin(ctx);
    const fixed = {
      auth_mode: 'db_auth',
      primary_auth_mode: false,
      robot_name_prefix: deps.config.auth.robotNamePrefix,
      token_expiration: deps.config.token.ttlMinutes,
      quota_per_project_enable: true,
      read_only: false,
    };
    const body: Record<string, { value: unknown; editable: boolean }> = {};
    for (const [k, v] of Object.entries(fixed)) body[k] = { value: v, editable: false };
    for (const [k, v] of Object.entries(deps.settings.all())) body[k] = { value: v, editable: true };
    ctx.body = body;
  });

  router.put('/configurations', async (ctx) => {
    requireSysadmin(ctx);
    const raw = await readLimitedBody(ctx.req, 64 * 1024);
    let changes: unknown;
    try {
      changes = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new BerthError('BAD_REQUEST', 'the request body is not valid JSON');
    }
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw new BerthError('BAD_REQUEST', 'the body must be an object of settings');
    await deps.settings.update(changes as Record<string, unknown>, actorOf(ctx));
    ctx.status = 200;
  });
}
