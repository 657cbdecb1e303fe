import type { Knex } from 'knex';
import { artifactsRepo } from '../artifacts/artifacts.repo.ts';
import { artifactViewsRepo, type ArtifactViewRow } from '../artifacts/artifact-views.repo.ts';
import type { CopyService } from '../artifacts/copy.service.ts';
import { repositoriesRepo } from '../artifacts/repositories.repo.ts';
import { toActor, type Operator } from '../core/actor.ts';
import { BerthError, isBerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { PromotionEventData } from '../events/event-types.ts';
import type { ImmutabilityService } from '../immutability/immutability.service.ts';
import { promotedTagsRepo } from '../immutability/promoted-tags.repo.ts';
import type { PromotionLadderDoc, StoredPolicy } from '../policy/documents.ts';
import type { ProjectRef, ProjectsService } from '../projects/projects.service.ts';
import type { ManifestService } from '../registry/manifest.service.ts';
import { requireTag, type Reference } from '../registry/names.ts';
import { approvalsRepo } from './approvals.repo.ts';
import type { GateEvaluator, PromotionPorts } from './gate-evaluator.ts';
import type { GateResult } from './gates/gate-result.ts';
import { routeOf, type Route } from './ladder.ts';
import { promotionsRepo, type PromotionRow } from './promotions.repo.ts';

export interface PromoteRequest {
  project: ProjectRef;
  /** The full repository name, `<project>/<repo>`. */
  repository: string;
  reference: Reference;
  /** A stage name; the next stage when absent. */
  to?: string;
  /** Tags to apply in the target; without any, a promotion by tag applies that tag. */
  tags?: string[];
  dryRun?: boolean;
}

export type PromoteOutcome =
  | { status: 'promoted'; record: PromotionRow }
  /** The digest is in the target already, by an earlier promotion, with every requested tag: nothing was done. */
  | { status: 'noop'; record: PromotionRow; message: string }
  | { status: 'dry-run'; allowed: boolean; ladder: { name: string; version: number }; from: string; to: string; digest: string; tags: string[]; gates: GateResult[] };

/** What `gateCheck` found: whether the artifact may be deployed from (or enter) `stage`, with every gate. */
export interface GateCheck {
  allowed: boolean;
  ladder: { name: string; version: number };
  /** The stage the artifact is in. */
  at: string;
  stage: string;
  digest: string;
  gates: GateResult[];
}

/** Context a refusal carries in its error detail: the record and every gate. */
export interface RefusalDetail {
  promotion_id: number;
  from_stage: string;
  to_stage: string;
  gates: Array<Pick<GateResult, 'type' | 'stage' | 'passed' | 'reason'>>;
}

type EventRecord = Pick<PromotionRow, 'id' | 'ladder' | 'from_stage' | 'to_stage' | 'to_project_id' | 'to_project' | 'repository' | 'digest' | 'tags'>;

const nameInProject = (full: string): string => full.slice(full.indexOf('/') + 1);

/**
 * Promotion: an artifact moves by digest from its stage's project to a later stage's, passing the gates of every
 * stage it enters. Each attempt leaves a record: `pending` once the gates passed (a kill during the copy leaves it
 * visible), then `promoted`, or `blocked` with every gate's result. The move itself is a server-side copy (no blob
 * bytes move; signatures and attestations go along as accessories) plus the target tags, which the ladder keeps
 * immutable unless it says otherwise.
 */
export class PromotionService {
  constructor(
    private readonly db: Knex,
    private readonly ports: PromotionPorts,
    private readonly gates: GateEvaluator,
    private readonly projects: ProjectsService,
    private readonly manifests: ManifestService,
    private readonly copies: CopyService,
    private readonly immutability: ImmutabilityService,
    private readonly events: EventBus,
  ) {}

  /** The ladder with a stage in this project; 412 when the project is in none. */
  async ladderOf(projectName: string): Promise<StoredPolicy<PromotionLadderDoc>> {
    const ladder = await this.ports.ladderFor(projectName);
    if (!ladder) throw new BerthError('PRECONDITION', `project ${projectName} is not a stage of any promotion ladder; apply a PromotionLadder naming it`);
    return ladder;
  }

  /** The current version of a ladder, if it is applied. */
  ladderByName(name: string): Promise<StoredPolicy<PromotionLadderDoc> | undefined> {
    return this.ports.ladder(name);
  }

  /** The artifact a reference names in a repository; NOT_FOUND otherwise. */
  async artifactAt(repository: string, reference: Reference): Promise<ArtifactViewRow> {
    const repo = await repositoriesRepo.findByName(this.db, repository);
    const artifact = repo && (reference.kind === 'digest' ? await artifactViewsRepo.byDigest(this.db, repo.id, reference.digest) : await artifactViewsRepo.byTag(this.db, repo.id, reference.tag));
    if (!artifact) throw new BerthError('NOT_FOUND', `${repository}${reference.kind === 'digest' ? `@${reference.digest}` : `:${reference.tag}`} not found`);
    return artifact;
  }

  async promote(req: PromoteRequest, operator: Operator): Promise<PromoteOutcome> {
    const ladder = await this.ladderOf(req.project.name);
    const route = routeOf(ladder.document, req.project.name, req.to);
    const artifact = await this.artifactAt(req.repository, req.reference);
    const tags = [...new Set(req.tags ?? (req.reference.kind === 'tag' ? [req.reference.tag] : []))];
    for (const t of tags) requireTag(t);
    const target = await this.projects.findByName(route.to.project);
    if (!target) throw new BerthError('PRECONDITION', `the project ${route.to.project} of stage ${route.to.name} does not exist; apply the ladder again to create it`);
    const targetRepository = `${target.name}/${nameInProject(req.repository)}`;

    const done = await this.alreadyThere(ladder, route, targetRepository, artifact.digest, tags);
    if (done && !req.dryRun) return { status: 'noop', record: done, message: `${artifact.digest} was promoted to ${route.to.name} already (promotion ${done.id}) with ${tags.length ? `the tags ${tags.join(', ')}` : 'no new tag'}; nothing to do` };

    const evaluation = await this.gates.evaluate(ladder, route.entered, { repository: req.repository, artifact });
    const results = [...evaluation.results, ...(await this.tagConflicts(target, targetRepository, artifact.digest, tags, route))];
    const passed = results.every((r) => r.passed);
    if (req.dryRun) {
      return { status: 'dry-run', allowed: passed, ladder: { name: ladder.name, version: ladder.version }, from: route.from.name, to: route.to.name, digest: artifact.digest, tags, gates: results };
    }

    const actor = toActor(operator);
    const record = {
      ladder: ladder.name,
      ladder_version: ladder.version,
      from_stage: route.from.name,
      to_stage: route.to.name,
      from_project_id: req.project.id,
      from_project: req.project.name,
      to_project_id: target.id,
      to_project: target.name,
      repository: nameInProject(req.repository),
      digest: artifact.digest,
      tags,
      operator: actor.name,
      address: actor.address ?? null,
    };
    if (!passed) {
      const id = await promotionsRepo.insert(this.db, { ...record, status: 'blocked', gates: results });
      throw this.refused(id, route, results, { ...record, id }, artifact, req.repository, operator);
    }

    const id = await promotionsRepo.insert(this.db, { ...record, status: 'pending', gates: results });
    try {
      await this.move(req.repository, artifact, target, targetRepository, tags, operator);
    } catch (err) {
      // Refused while moving (the target's quota, a tag that turned immutable meanwhile): a refusal like a gate's.
      if (!isBerthError(err) || err.status >= 500) throw err;
      const failed: GateResult = { type: 'target', stage: route.to.name, passed: false, reason: err.message, gate: {}, inputs: { code: err.code } };
      const all = [...results, failed];
      await promotionsRepo.setStatus(this.db, id, 'blocked', all);
      throw this.refused(id, route, all, { ...record, id }, artifact, req.repository, operator);
    }
    if (ladder.document.spec.immutablePromotedTags !== false && tags.length) {
      await promotedTagsRepo.lock(this.db, tags.map((tag) => ({ projectId: target.id, repository: targetRepository, tag, digest: artifact.digest, promotionId: id })));
      this.immutability.locksChanged(target.id);
    }
    await approvalsRepo.markUsed(this.db, evaluation.approvalIds, id);
    await promotionsRepo.setStatus(this.db, id, 'promoted');
    const row = (await promotionsRepo.find(this.db, id))!;
    this.events.emit('artifact.promoted', operator, this.eventData(row, artifact, req.repository));
    return { status: 'promoted', record: row };
  }

  /**
   * The deploy check: the gates of `stage` evaluated now for the artifact where it is, recording and moving nothing.
   * When the artifact is in an earlier stage, every stage on the way counts (as a promotion there would); when it is
   * in `stage` already (or later), the gates into `stage` are evaluated again, so a signature since revoked from the
   * trust policy or a report with a new Critical finding fails the deploy of what was promoted. Without `stage`, the
   * artifact's own stage.
   */
  async gateCheck(req: { project: ProjectRef; repository: string; reference: Reference; stage?: string }): Promise<GateCheck> {
    const ladder = await this.ladderOf(req.project.name);
    const stages = ladder.document.spec.stages;
    const at = stages.findIndex((s) => s.project === req.project.name);
    const wanted = req.stage === undefined ? at : stages.findIndex((s) => s.name === req.stage);
    if (wanted < 0) throw new BerthError('BAD_REQUEST', `ladder ${ladder.name} has no stage named "${(req.stage ?? '').slice(0, 100)}"; its stages are ${stages.map((s) => s.name).join(', ')}`);
    const artifact = await this.artifactAt(req.repository, req.reference);
    const entered = wanted > at ? stages.slice(at + 1, wanted + 1) : [stages[wanted]!];
    const evaluation = await this.gates.evaluate(ladder, entered, { repository: req.repository, artifact });
    return { allowed: evaluation.passed, ladder: { name: ladder.name, version: ladder.version }, at: stages[at]!.name, stage: stages[wanted]!.name, digest: artifact.digest, gates: evaluation.results };
  }

  /** A promotion already put the digest into this stage's repository and every requested tag points at it. */
  private async alreadyThere(ladder: StoredPolicy<PromotionLadderDoc>, route: Route, targetRepository: string, digest: string, tags: string[]): Promise<PromotionRow | undefined> {
    const earlier = await promotionsRepo.lastPromoted(this.db, { ladder: ladder.name, stage: route.to.name, repository: nameInProject(targetRepository), digest });
    if (!earlier || !(await artifactsRepo.find(this.db, targetRepository, digest))) return undefined;
    const repo = await repositoriesRepo.findByName(this.db, targetRepository);
    for (const tag of tags) {
      const at = repo && (await artifactViewsRepo.byTag(this.db, repo.id, tag));
      if (!at || at.digest !== digest) return undefined;
    }
    return earlier;
  }

  /** A requested tag that is immutable in the target and names another digest cannot be moved: a failed check. */
  private async tagConflicts(target: ProjectRef, targetRepository: string, digest: string, tags: string[], route: Route): Promise<GateResult[]> {
    const repo = await repositoriesRepo.findByName(this.db, targetRepository);
    if (!repo || tags.length === 0) return [];
    const locked = await this.immutability.immutableTags(target.id, targetRepository, tags);
    const out: GateResult[] = [];
    for (const tag of locked) {
      const at = await artifactViewsRepo.byTag(this.db, repo.id, tag);
      if (at && at.digest !== digest) {
        out.push({ type: 'target', stage: route.to.name, passed: false, reason: `the tag ${targetRepository}:${tag} is immutable and names ${at.digest}; promote under another tag`, gate: {}, inputs: { tag, current: at.digest } });
      }
    }
    return out;
  }

  /** The server-side copy by digest (accessories included), then each target tag; quiet: one promotion event says it all. */
  private async move(sourceRepository: string, artifact: ArtifactViewRow, target: ProjectRef, targetRepository: string, tags: string[], operator: Operator): Promise<void> {
    await this.copies.copy({ project: target, repository: targetRepository }, { repository: sourceRepository, reference: { kind: 'digest', digest: artifact.digest } }, operator, { quiet: true });
    if (tags.length === 0) return;
    const body = await artifactsRepo.manifestBytes(this.db, artifact.digest);
    if (!body) throw new BerthError('NOT_FOUND', `manifest ${artifact.digest} is gone`);
    for (const tag of tags) {
      await this.manifests.put(targetRepository, target, { kind: 'tag', tag }, body, artifact.media_type, operator, { copiedFrom: { repository: sourceRepository, digest: artifact.digest }, quiet: true });
    }
  }

  private refused(id: number, route: Route, results: GateResult[], record: EventRecord & Pick<PromotionRow, 'from_project_id' | 'from_project'>, artifact: ArtifactViewRow, sourceRepository: string, operator: Operator): BerthError {
    const failed = results.filter((r) => !r.passed);
    this.events.emit('promotion.blocked', operator, {
      ...this.eventData(record, artifact, sourceRepository),
      // Nothing moved: the event is about the source.
      projectId: record.from_project_id ?? 0,
      projectName: record.from_project,
      repository: sourceRepository,
      failed: failed.map((f) => ({ type: f.type, reason: f.reason })),
    });
    const detail: RefusalDetail = {
      promotion_id: id,
      from_stage: route.from.name,
      to_stage: route.to.name,
      gates: results.map((r) => ({ type: r.type, stage: r.stage, passed: r.passed, reason: r.reason })),
    };
    const summary = results.map((r) => `${r.stage}/${r.type}: ${r.passed ? 'passed' : 'FAILED'} (${r.reason})`).join('; ');
    return new BerthError('PROJECTPOLICYVIOLATION', `promotion ${id} of ${sourceRepository}@${artifact.digest} to ${route.to.name} refused: ${summary}`, detail);
  }

  private eventData(r: EventRecord, artifact: ArtifactViewRow, sourceRepository: string): PromotionEventData {
    return {
      promotionId: r.id,
      ladder: r.ladder,
      fromStage: r.from_stage,
      toStage: r.to_stage,
      projectId: r.to_project_id ?? 0,
      projectName: r.to_project,
      repository: `${r.to_project}/${r.repository}`,
      fromRepository: sourceRepository,
      digest: r.digest,
      mediaType: artifact.media_type,
      tags: r.tags,
    };
  }

  record(id: number): Promise<PromotionRow | undefined> {
    return promotionsRepo.find(this.db, id);
  }

  page(...args: Parameters<typeof promotionsRepo.page> extends [unknown, ...infer R] ? R : never) {
    return promotionsRepo.page(this.db, ...args);
  }
}
