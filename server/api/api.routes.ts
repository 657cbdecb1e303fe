import Router from '@koa/router';
import type { Middleware } from 'koa';
import { BerthError } from '../core/errors.ts';
import { renderError } from '../http/render-error.ts';
import { noteRefusal } from '../http/refusals.ts';
import type { Services } from '../services.ts';
import { mountUserRoutes } from '../users/users.routes.ts';
import { mountProjectRoutes } from '../projects/projects.routes.ts';
import { mountMemberRoutes } from '../projects/members.routes.ts';
import { mountRobotRoutes } from '../robots/robots.routes.ts';
import { mountPullSecretRoutes } from '../robots/pull-secret.routes.ts';
import { apiPrincipal } from './api-access.ts';
import { mountAuditRoutes } from '../audit/audit.routes.ts';
import { mountPurgeRoutes } from '../audit/purge.routes.ts';
import { mountJobRoutes } from '../jobs/jobs.routes.ts';
import { mountSettingsRoutes } from '../settings/settings.routes.ts';
import { mountWebhookRoutes } from '../webhooks/webhooks.routes.ts';
import { mountRepositoryRoutes } from '../artifacts/repositories.routes.ts';
import { mountArtifactRoutes } from '../artifacts/artifacts.routes.ts';
import { mountArtifactPartRoutes } from '../artifacts/artifact-parts.routes.ts';
import { mountLabelRoutes } from '../labels/labels.routes.ts';
import { mountSearchRoutes } from '../search/search.routes.ts';
import { mountQuotaRoutes } from '../quotas/quotas.routes.ts';
import { mountImmutableRuleRoutes } from '../immutability/immutable-rules.routes.ts';
import { mountPolicyRoutes } from '../policy/policies.routes.ts';
import { mountAllowlistRoutes } from '../scanning/allowlists.routes.ts';
import { mountPromotionRoutes } from '../promotion/promotion.routes.ts';
import { mountScannerRoutes } from '../scanning/scanners/scanners.routes.ts';
import { mountScanRoutes } from '../scanning/scan.routes.ts';
import { mountAdvisoryRoutes } from '../scanning/advisories/advisories.routes.ts';
import { scanAdditions } from '../scanning/scan-additions.ts';

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
    ctx.body = {
      harbor_version: version,
      berth_version: version,
      auth_mode: 'db_auth',
      registry_url: ctx.host,
      self_registration: services.settings.get('self_registration'),
      banner_message: services.settings.get('banner_message'),
    };
  });

  // Run-time settings are read when a request needs them, so a change through /configurations applies at once.
  const { settings } = services;
  mountUserRoutes(router, {
    users: services.users,
    get selfRegistration() {
      return settings.get('self_registration');
    },
    projects: services.projects,
    access: services.access,
  });
  const projectDeps = {
    projects: services.projects,
    members: services.members,
    access: services.access,
    get creationRestriction() {
      return settings.get('project_creation_restriction');
    },
    quotas: services.quotas,
    allowlists: services.allowlists,
  };
  mountProjectRoutes(router, projectDeps);
  mountMemberRoutes(router, { ...projectDeps, users: services.users });
  mountRobotRoutes(router, { robots: services.robots, projects: services.projects, access: services.access });
  mountPullSecretRoutes(router, { ...projectDeps, robots: services.robots, externalUrl: services.config.externalUrl });
  mountAuditRoutes(router, { ...projectDeps, audit: services.auditLog });
  mountPurgeRoutes(router, { db: services.db.knex, jobs: services.jobs, scheduler: services.scheduler });
  mountJobRoutes(router, { db: services.db.knex, jobs: services.jobs, scheduler: services.scheduler });
  mountSettingsRoutes(router, { settings: services.settings, config: services.config });
  mountWebhookRoutes(router, { ...projectDeps, webhooks: services.webhooks, deliveries: services.webhookDeliveries });
  const artifactDeps = {
    ...projectDeps,
    repositories: services.repositories,
    artifacts: services.artifacts,
    labels: services.labels,
    copies: services.copies,
    additions: scanAdditions(services.reports, services.sboms),
  };
  mountRepositoryRoutes(router, artifactDeps);
  mountArtifactRoutes(router, artifactDeps);
  mountArtifactPartRoutes(router, artifactDeps);
  mountLabelRoutes(router, { labels: services.labels, projects: services.projects, access: services.access });
  mountSearchRoutes(router, { search: services.search, members: services.members });
  mountQuotaRoutes(router, { quotas: services.quotas });
  mountImmutableRuleRoutes(router, { ...projectDeps, immutability: services.immutability });
  mountPolicyRoutes(router, { policies: services.policies });
  mountAllowlistRoutes(router, { allowlists: services.allowlists });
  mountPromotionRoutes(router, { ...artifactDeps, promotions: services.promotions, approvals: services.approvals });
  mountScannerRoutes(router, { scanners: services.scanners, project: projectDeps });
  mountScanRoutes(router, { ...artifactDeps, scans: services.scans, reports: services.reports, scheduler: services.scheduler });
  mountAdvisoryRoutes(router, { advisories: services.advisories });

  const guard: Middleware = async (ctx, next) => {
    if (!ctx.path.startsWith('/api/')) return next();
    try {
      ctx.state.principal = await apiPrincipal(ctx, services.basic);
      await next();
    } catch (err) {
      noteRefusal(ctx, err, services.events);
      renderError(ctx, err, 'harbor', services.log);
    }
  };
  // A method a route lacks is a 405 in Harbor's envelope (http-errors' 405/501 would render as 400/500).
  const notAllowed = () => new BerthError('METHOD_NOT_ALLOWED', `method not allowed on this resource`);
  return [guard, router.routes() as Middleware, router.allowedMethods({ throw: true, methodNotAllowed: notAllowed, notImplemented: notAllowed }) as Middleware];
}
