import type { Knex } from 'knex';
import type { AccessPolicy } from '../auth/access.ts';
import type { UserPrincipal } from '../auth/principal.ts';
import type { ArtifactViewRow } from '../artifacts/artifact-views.repo.ts';
import type { Operator } from '../core/actor.ts';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ProjectRef, ProjectsService } from '../projects/projects.service.ts';
import { approvalsRepo, type ApprovalRow } from './approvals.repo.ts';
import { routeOf } from './ladder.ts';
import type { PromotionService } from './promotion.service.ts';

/**
 * Approvals of an artifact (by digest) for entering a stage of its ladder. Recording one needs `approval:create` in
 * the stage's project; whether it counts is the approval gate's call when the promotion is evaluated (the
 * approver's role then, never the pusher). An approval can be revoked until a promotion has used it.
 */
export class ApprovalsService {
  constructor(
    private readonly db: Knex,
    private readonly promotions: PromotionService,
    private readonly projects: ProjectsService,
    private readonly access: AccessPolicy,
    private readonly events: EventBus,
  ) {}

  /** The stage an approval is for (the next one by default) and its project. */
  private async stageFor(project: ProjectRef, stage?: string): Promise<{ ladder: string; stage: string; target: ProjectRef }> {
    const ladder = await this.promotions.ladderOf(project.name);
    const route = routeOf(ladder.document, project.name, stage);
    const target = await this.projects.findByName(route.to.project);
    if (!target) throw new BerthError('PRECONDITION', `the project ${route.to.project} of stage ${route.to.name} does not exist`);
    return { ladder: ladder.name, stage: route.to.name, target };
  }

  async approve(user: UserPrincipal, project: ProjectRef, artifact: ArtifactViewRow, input: { stage?: string; comment?: string }, operator: Operator): Promise<ApprovalRow> {
    const { ladder, stage, target } = await this.stageFor(project, input.stage);
    if (!(await this.access.can(user, target, 'approval:create'))) {
      throw new BerthError('DENIED', `approving for stage ${stage} needs Developer or above in its project ${target.name}`);
    }
    const id = await approvalsRepo.insert(this.db, { ladder, stage, digest: artifact.digest, approverId: user.id, approver: user.username, comment: input.comment ?? '' });
    if (id === null) throw new BerthError('CONFLICT', `${user.username} has approved ${artifact.digest} for ${stage} already`);
    this.events.emit('approval.created', operator, { approvalId: id, ladder, stage, digest: artifact.digest, projectId: target.id });
    return (await approvalsRepo.find(this.db, id))!;
  }

  async list(project: ProjectRef, artifact: ArtifactViewRow, stage?: string): Promise<ApprovalRow[]> {
    const ladder = await this.promotions.ladderOf(project.name);
    return approvalsRepo.list(this.db, ladder.name, artifact.digest, stage);
  }

  async get(project: ProjectRef, artifact: ArtifactViewRow, id: number): Promise<ApprovalRow> {
    const ladder = await this.promotions.ladderOf(project.name);
    const row = await approvalsRepo.find(this.db, id);
    if (!row || row.digest !== artifact.digest || row.ladder !== ladder.name) throw new BerthError('NOT_FOUND', `approval ${id} not found for this artifact`);
    return row;
  }

  /** The approver, a system administrator or a ProjectAdmin of the stage's project may revoke; a used approval stays. */
  async revoke(user: UserPrincipal, approval: ApprovalRow, operator: Operator): Promise<void> {
    const target = await this.projectOfStage(approval);
    const allowed = approval.approver === user.username || user.sysadmin || (await this.access.can(user, target, 'project:update'));
    if (!allowed) throw new BerthError('DENIED', 'only the approver, a ProjectAdmin of the stage or a system administrator may revoke an approval');
    if (approval.revoked_at) throw new BerthError('PRECONDITION', `approval ${approval.id} was revoked already`);
    if (approval.promotion_id !== null) throw new BerthError('PRECONDITION', `approval ${approval.id} was used by promotion ${approval.promotion_id} and cannot be revoked`);
    if (!(await approvalsRepo.revoke(this.db, approval.id, user.username))) throw new BerthError('PRECONDITION', `approval ${approval.id} was used or revoked meanwhile`);
    this.events.emit('approval.revoked', operator, { approvalId: approval.id, ladder: approval.ladder, stage: approval.stage, digest: approval.digest, projectId: target.id });
  }

  private async projectOfStage(approval: ApprovalRow): Promise<ProjectRef> {
    const ladder = await this.promotions.ladderByName(approval.ladder);
    const stage = ladder?.document.spec.stages.find((s) => s.name === approval.stage);
    const project = stage && (await this.projects.findByName(stage.project));
    if (!project) throw new BerthError('PRECONDITION', `stage ${approval.stage} of ladder ${approval.ladder} no longer exists`);
    return project;
  }
}
