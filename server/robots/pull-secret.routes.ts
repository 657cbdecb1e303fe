import type Router from '@koa/router';
import type { JSONSchemaType } from 'ajv';
import { randomBytes } from 'node:crypto';
import { requireUser } from '../api/api-access.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import { authorizeProject, type ProjectRouteDeps } from '../projects/projects.routes.ts';
import type { RobotsService } from './robots.service.ts';
import { buildPullSecret } from './pull-secret.ts';
import { actorOf } from '../http/actor.ts';

interface PullSecretReq {
  namespace?: string;
  name?: string;
  service_account?: string;
  duration?: number;
  format?: 'json' | 'yaml';
}

// Kubernetes object names: DNS-1123 labels and subdomains.
const k8sName = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', nullable: true } as const;

const validate = bodySchema<PullSecretReq>({
  type: 'object',
  additionalProperties: false,
  properties: {
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', nullable: true },
    name: k8sName,
    service_account: k8sName,
    duration: { type: 'integer', minimum: -1, maximum: 36500, nullable: true },
    format: { type: 'string', enum: ['json', 'yaml'], nullable: true },
  },
} as unknown as JSONSchemaType<PullSecretReq>);

/**
 * POST /api/v2.0/projects/{project_name_or_id}/pull-secrets (Berth's own, not Harbor's): creates a pull-only robot
 * for the project and answers with a ready-to-apply imagePullSecret (JSON, or YAML with `format: yaml`) and the
 * ServiceAccount patch that adds it.
 */
export function mountPullSecretRoutes(router: Router, deps: ProjectRouteDeps & { robots: RobotsService; externalUrl: string }): void {
  router.post('/projects/:project_name_or_id/pull-secrets', async (ctx) => {
    const user = requireUser(ctx);
    const project = await authorizeProject(ctx, deps, 'robot:create');
    const body = await parseBody(ctx, validate);
    const namespace = body.namespace ?? 'default';
    const name = body.name ?? `berth-${project.name.replace(/[^a-z0-9-]/g, '-')}-pull`;
    const { robot, secret } = await deps.robots.create(user, {
      name: `pull-${randomBytes(4).toString('hex')}`,
      description: `imagePullSecret ${namespace}/${name}`,
      level: 'project',
      duration: body.duration ?? 30,
      permissions: [{ kind: 'project', namespace: project.name, access: [{ resource: 'repository', action: 'pull' }] }],
    }, actorOf(ctx));
    const registryHost = deps.externalUrl ? new URL(deps.externalUrl).host : ctx.host;
    const built = buildPullSecret({ registryHost, username: robot.name, password: secret, name, namespace, serviceAccount: body.service_account ?? 'default' });
    ctx.status = 201;
    if (body.format === 'yaml') {
      ctx.type = 'application/yaml';
      ctx.body = built.yaml;
      return;
    }
    ctx.body = {
      robot: { id: robot.id, name: robot.name, expires_at: robot.expires_at ? Math.floor(new Date(robot.expires_at).getTime() / 1000) : -1 },
      secret: built.secret,
      service_account_patch: built.serviceAccountPatch,
      kubectl_patch: built.kubectlPatch,
    };
  });
}
