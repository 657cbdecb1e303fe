import type { Context } from 'koa';
import { idParam } from '../api/api-access.ts';
import type { Permission } from '../auth/permissions.ts';
import { authorizeProject, type ProjectRouteDeps } from '../projects/projects.routes.ts';
import type { ProjectView } from '../projects/projects.repo.ts';
import type { DeliveriesService } from './deliveries.service.ts';
import type { WebhookPolicyRow } from './webhooks.repo.ts';
import type { WebhooksService } from './webhooks.service.ts';

export interface WebhookRouteDeps extends ProjectRouteDeps {
  webhooks: WebhooksService;
  deliveries: DeliveriesService;
}

/**
 * The project of the path, if the caller holds `permission` on it (401 for anonymous callers, 403 for others),
 * and its policy `{webhook_policy_id}` (400 for a malformed id, 404 for one of another project).
 */
export async function authorizePolicy(ctx: Context, deps: WebhookRouteDeps, permission: Permission): Promise<{ project: ProjectView; policy: WebhookPolicyRow }> {
  const project = await authorizeProject(ctx, deps, permission);
  return { project, policy: await deps.webhooks.get(project.id, idParam(ctx, 'webhook_policy_id')) };
}
