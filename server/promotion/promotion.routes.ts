import type Router from '@koa/router';
import type { Context } from 'koa';
import { idParam, requireUser } from '../api/api-access.ts';
import { artifactOf, type ArtifactRouteDeps } from '../artifacts/artifact-routes-deps.ts';
import { parseArtifactReference } from '../artifacts/path-params.ts';
import { requireAuthenticated, requireProjectPermission } from '../artifacts/route-access.ts';
import { parseDigest } from '../core/digest.ts';
import { BerthError } from '../core/errors.ts';
import { actorOf } from '../http/actor.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseBody } from '../http/validate.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import type { ApprovalsService } from './approvals.service.ts';
import { presentApproval, presentGate, presentPromotion } from './promotion.presenter.ts';
import { validateApprovalReq, validatePromoteBody, validateGateReq, validatePromotionReq, type PromoteBody } from './promotion.schema.ts';
import type { PromoteOutcome, PromotionService } from './promotion.service.ts';
import type { PromotionFilter, PromotionStatus } from './promotions.repo.ts';

export interface PromotionRouteDeps extends ArtifactRouteDeps {
  promotions: PromotionService;
  approvals: ApprovalsService;
}

const artifactPath = '/projects/:project_name/repositories/:repository_name/artifacts/:reference';
const statuses: PromotionStatus[] = ['pending', 'promoted', 'blocked'];

/** 201 with the record for a promotion, 200 for a no-op (saying so) or a dry run. */
function answer(ctx: Context, outcome: PromoteOutcome): void {
  if (outcome.status === 'promoted') {
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/promotions/${outcome.record.id}`);
    ctx.body = presentPromotion(outcome.record);
  } else if (outcome.status === 'noop') {
    ctx.body = { status: 'noop', message: outcome.message, promotion: presentPromotion(outcome.record) };
  } else {
    ctx.body = { status: 'dry-run', allowed: outcome.allowed, ladder: outcome.ladder, from: outcome.from, to: outcome.to, digest: outcome.digest, tags: outcome.tags, gates: outcome.gates.map(presentGate) };
  }
}

async function promote(ctx: Context, deps: PromotionRouteDeps, project: ProjectRef, repository: string, reference: Parameters<PromotionService['promote']>[0]['reference'], body: PromoteBody): Promise<void> {
  await requireProjectPermission(ctx, deps.access, project, 'promotion:create');
  const outcome = await deps.promotions.promote({ project, repository, reference, to: body.to, tags: body.tags, dryRun: body.dry_run ?? false }, actorOf(ctx));
  answer(ctx, outcome);
}

/** Records of the projects the caller may read (administrators: all). */
async function visibleFilter(ctx: Context, deps: PromotionRouteDeps): Promise<PromotionFilter> {
  const principal = requireAuthenticated(ctx);
  const filter: PromotionFilter = { visibleProjectIds: await deps.access.listableProjectIds(principal, () => deps.projects.publicIds()) };
  const { digest, ladder, stage, status } = ctx.query;
  if (digest !== undefined) {
    if (typeof digest !== 'string' || !parseDigest(digest)) throw new BerthError('BAD_REQUEST', 'digest must be a digest (sha256:<hex>)');
    filter.digest = digest;
  }
  for (const [key, value] of Object.entries({ ladder, stage })) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(value)) throw new BerthError('BAD_REQUEST', `${key} must be a ${key} name`);
    filter[key as 'ladder' | 'stage'] = value;
  }
  if (status !== undefined) {
    if (!statuses.includes(status as PromotionStatus)) throw new BerthError('BAD_REQUEST', `status must be one of ${statuses.join(', ')}`);
    filter.status = status as PromotionStatus;
  }
  return filter;
}

async function list(ctx: Context, deps: PromotionRouteDeps, extra: Partial<PromotionFilter> = {}): Promise<void> {
  const filter = { ...(await visibleFilter(ctx, deps)), ...extra };
  const page = readHarborPage(ctx);
  const result = await deps.promotions.page(filter, (page.page - 1) * page.pageSize, page.pageSize);
  setPageHeaders(ctx, page, result.total);
  ctx.body = result.rows.map(presentPromotion);
}

/**
 * Promotions (`/api/v2.0/promotions`, and per artifact) and approvals (per artifact). Promoting needs
 * `promotion:create` (Maintainer and above) in the artifact's current stage; the gates decide whether it may enter
 * the next. Approving needs read access to the artifact and `approval:create` (Developer and above) in the stage's
 * project. Records are visible to whoever may read the project they left or entered.
 */
export function mountPromotionRoutes(router: Router, deps: PromotionRouteDeps): void {
  router.post('/promotions', async (ctx) => {
    requireAuthenticated(ctx);
    const body = await parseBody(ctx, validatePromotionReq);
    const { repository, reference } = parseArtifactReference(body.artifact, 'artifact');
    const project = await deps.projects.findByName(repository.project);
    if (!project) throw new BerthError('NOT_FOUND', `project ${repository.project} not found`);
    await promote(ctx, deps, project, repository.full, reference, body);
  });

  router.post(`${artifactPath}/promote`, async (ctx) => {
    const { project, repository, artifact } = await artifactOf(ctx, deps, 'artifact:read');
    const body = await parseBody(ctx, validatePromoteBody, { emptyAs: {} });
    await promote(ctx, deps, project, repository.name, { kind: 'digest', digest: artifact.digest }, body);
  });

  // The deploy check (Berth's own): the gates of a stage for the artifact where it is; nothing recorded or moved.
  router.post(`${artifactPath}/gate`, async (ctx) => {
    const { project, repository, artifact } = await artifactOf(ctx, deps, 'artifact:read');
    const body = await parseBody(ctx, validateGateReq, { emptyAs: {} });
    const check = await deps.promotions.gateCheck({ project, repository: repository.name, reference: { kind: 'digest', digest: artifact.digest }, stage: body.stage ?? undefined });
    ctx.body = { allowed: check.allowed, ladder: check.ladder, at: check.at, stage: check.stage, digest: check.digest, gates: check.gates.map(presentGate) };
  });

  router.get('/promotions', (ctx) => list(ctx, deps));

  router.get('/promotions/:promotion_id', async (ctx) => {
    const filter = await visibleFilter(ctx, deps);
    const record = await deps.promotions.record(idParam(ctx, 'promotion_id'));
    const visible = record && (!filter.visibleProjectIds || [record.from_project_id, record.to_project_id].some((id) => id !== null && filter.visibleProjectIds!.includes(id)));
    if (!visible) throw new BerthError('NOT_FOUND', 'promotion not found');
    ctx.body = presentPromotion(record);
  });

  router.get('/projects/:project_name/promotions', async (ctx) => {
    const project = await deps.projects.view((ctx.params as Record<string, string>).project_name ?? '', true);
    await requireProjectPermission(ctx, deps.access, project, 'project:read');
    await list(ctx, deps, { projectId: project.id });
  });

  router.get(`${artifactPath}/promotions`, async (ctx) => {
    const { artifact } = await artifactOf(ctx, deps, 'artifact:read');
    await list(ctx, deps, { digest: artifact.digest });
  });

  router.post(`${artifactPath}/approvals`, async (ctx) => {
    const user = requireUser(ctx);
    const { project, artifact } = await artifactOf(ctx, deps, 'artifact:read');
    const body = await parseBody(ctx, validateApprovalReq, { emptyAs: {} });
    const approval = await deps.approvals.approve(user, project, artifact, { stage: body.stage ?? undefined, comment: body.comment ?? undefined }, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0${ctx.path.slice('/api/v2.0'.length)}/${approval.id}`);
    ctx.body = presentApproval(approval);
  });

  router.get(`${artifactPath}/approvals`, async (ctx) => {
    const { project, artifact } = await artifactOf(ctx, deps, 'artifact:read');
    const stage = ctx.query.stage;
    if (stage !== undefined && (typeof stage !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(stage))) throw new BerthError('BAD_REQUEST', 'stage must be a stage name');
    ctx.body = (await deps.approvals.list(project, artifact, stage)).map(presentApproval);
  });

  router.delete(`${artifactPath}/approvals/:approval_id`, async (ctx) => {
    const user = requireUser(ctx);
    const { project, artifact } = await artifactOf(ctx, deps, 'artifact:read');
    const approval = await deps.approvals.get(project, artifact, idParam(ctx, 'approval_id'));
    await deps.approvals.revoke(user, approval, actorOf(ctx));
    ctx.status = 200;
  });
}
