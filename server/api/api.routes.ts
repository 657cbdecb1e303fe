import Router from '@koa/router';
import type { Middleware } from 'koa';
import { renderError } from '../http/render-error.ts';
import type { Services } from '../services.ts';

const version = 'v0.1.0';

/**
 * The management API under /api/v2.0 (Harbor-compatible shapes). Only the unauthenticated probes exist so far;
 * the identity issue adds authentication and RBAC to everything mounted here.
 */
export function apiRoutes(services: Services): Middleware[] {
  const router = new Router({ prefix: '/api/v2.0' });
  router.get('/ping', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'Pong';
  });
  router.get('/health', async (ctx) => {
    const database = await services.db.knex
      .raw('select 1')
      .then(() => 'healthy')
      .catch(() => 'unhealthy');
    const status = database === 'healthy' ? 'healthy' : 'unhealthy';
    ctx.status = status === 'healthy' ? 200 : 503;
    ctx.body = { status, components: [{ name: 'database', status: database }, { name: 'registry', status: 'healthy' }] };
  });
  router.get('/systeminfo', (ctx) => {
    ctx.body = { harbor_version: version, berth_version: version, auth_mode: 'db_auth', registry_url: ctx.host, self_registration: false };
  });

  const guard: Middleware = async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    try {
      await next();
    } catch (err) {
      renderError(ctx, err, 'harbor', services.log);
    }
  };
  return [guard, router.routes() as Middleware, router.allowedMethods({ throw: true }) as Middleware];
}
