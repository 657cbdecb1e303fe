import Router from '@koa/router';
import type { Middleware } from 'koa';
import { renderError } from '../http/render-error.ts';
import type { Services } from '../services.ts';
import { mountUserRoutes } from '../users/users.routes.ts';
import { mountProjectRoutes } from '../projects/projects.routes.ts';
import { mountMemberRoutes } from '../projects/members.routes.ts';
import { mountRobotRoutes } from '../robots/robots.routes.ts';
import { mountPullSecretRoutes } from '../robots/pull-secret.routes.ts';
import { apiPrincipal } from './api-access.ts';
import { mountQuotaRoutes } from '../quotas/quotas.routes.ts';
import { mountImmutableRuleRoutes } from '../immutability/immutable-rules.routes.ts';

const version = 'v0.1.0';

/**
 * The management API under /api/v2.0 (Harbor-compatible shapes). Every request is authenticated here (Basic
 * credentials or anonymous); each route then states who may call it.
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

  mountUserRoutes(router, { users: services.users, selfRegistration: services.config.auth.selfRegistration, projects: services.projects, access: services.access });
  const projectDeps = {
    projects: services.projects,
    members: services.members,
    access: services.access,
    creationRestriction: services.config.auth.projectCreationRestriction,
    quotas: services.quotas,
  };
  mountProjectRoutes(router, projectDeps);
  mountMemberRoutes(router, { ...projectDeps, users: services.users });
  mountRobotRoutes(router, { robots: services.robots, projects: services.projects, access: services.access });
  mountPullSecretRoutes(router, { ...projectDeps, robots: services.robots, externalUrl: services.config.externalUrl });
  mountQuotaRoutes(router, { quotas: services.quotas });
  mountImmutableRuleRoutes(router, { ...projectDeps, immutability: services.immutability });

  const guard: Middleware = async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    try {
      ctx.state.principal = await apiPrincipal(ctx, services.basic);
      await next();
    } catch (err) {
      renderError(ctx, err, 'harbor', services.log);
    }
  };
  return [guard, router.routes() as Middleware, router.allowedMethods({ throw: true }) as Middleware];
}
