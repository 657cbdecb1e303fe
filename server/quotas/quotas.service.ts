import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { LinkCharge } from '../blobs/blobs.repo.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { quotaExceeded } from './quota-format.ts';
import { QuotaRefusal } from './quota-refusal.ts';
import { quotasRepo, type QuotaView } from './quotas.repo.ts';
import type { Operator } from '../core/actor.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';

/** What a charge was for: the repository and the blob or manifest digest. */
export interface ChargeSubject {
  repository: string;
  digest: string;
}

/** The largest limit accepted: byte counts stay exact as JavaScript numbers. */
export const maxStorageLimit = Number.MAX_SAFE_INTEGER;

/**
 * Per-project storage quotas. Charging and releasing happen inside the statements that record blobs, pushes and
 * deletes (see migration 006), so they are atomic with them and race-free; this service checks early where a
 * refusal saves work (before an upload is published), turns refusals into the client's 403 DENIED, emits
 * `quota.exceeded`, `quota.warning` and `quota.updated` after the fact, and serves the quota API.
 */
export class QuotaService {
  /** Projects known to be unlimited, so their uploads skip the early check (the database still decides). */
  private readonly unlimited = new Set<number>();

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly warningPercent: number,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    cluster.register('quotas', (key) => (key === '*' ? this.unlimited.clear() : this.unlimited.delete(Number(key))));
  }

  async get(id: number): Promise<QuotaView> {
    const quota = await quotasRepo.find(this.db, id);
    if (!quota) throw new BerthError('NOT_FOUND', `quota ${id} not found`);
    return quota;
  }

  /** The project's quota; a project without a row (made outside ProjectsService) is unlimited with nothing charged. */
  async forProject(projectId: number): Promise<{ hard: number; used: number }> {
    const quota = await quotasRepo.findByProject(this.db, projectId);
    return quota ? { hard: quota.hard, used: quota.used } : { hard: -1, used: 0 };
  }

  page(opts: Parameters<typeof quotasRepo.page>[1]): ReturnType<typeof quotasRepo.page> {
    return quotasRepo.page(this.db, opts);
  }

  /** Sets the hard limit (-1 unlimited, else at least one byte); it may be set below current usage. */
  async setHard(id: number, hard: number, operator: Operator): Promise<void> {
    if (hard === 0 || hard < -1 || hard > maxStorageLimit) throw new BerthError('BAD_REQUEST', `invalid value ${hard} for resource storage: use -1 (unlimited) or a number of bytes from 1 to ${maxStorageLimit}`);
    const quota = await this.get(id);
    if (!(await quotasRepo.setHard(this.db, id, hard))) throw new BerthError('NOT_FOUND', `quota ${id} not found`);
    this.cluster.invalidate('quotas', String(quota.project_id));
    this.events.emit('quota.updated', operator, { projectId: quota.project_id, projectName: quota.project_name, hard });
  }

  /**
   * Refuses an upload of `size` bytes early, before its bytes are published, when the project does not hold the blob
   * and it would not fit. Advisory (a concurrent push may still take the room): the link decides. Known-unlimited
   * projects cost nothing here; `size` is only asked for when a check is made.
   */
  async precheck(project: ProjectRef, subject: ChargeSubject, size: () => Promise<number> | number, operator: Operator): Promise<void> {
    if (this.unlimited.has(project.id)) return;
    const standing = await quotasRepo.standing(this.db, project.id, subject.digest);
    if (!standing || standing.hard < 0) {
      this.unlimited.add(project.id);
      return;
    }
    const requested = await size();
    if (!standing.held && standing.used + requested > standing.hard) throw this.refuse(project, subject, requested, standing.used, standing.hard, operator);
  }

  /**
   * Refuses, before anything is written, work that would add more than the project has room for: `items` are the
   * blobs and manifests it would add (a server-side copy's whole plan); those the project holds cost nothing.
   * Advisory like `precheck`: the statements that link and push still decide.
   */
  async precheckMany(project: ProjectRef, subject: ChargeSubject, items: Array<{ digest: string; size: number }>, operator: Operator): Promise<void> {
    if (this.unlimited.has(project.id)) return;
    const sizes = new Map(items.map((i) => [i.digest, i.size]));
    const standing = await quotasRepo.standingAmong(this.db, project.id, [...sizes.keys()]);
    if (!standing || standing.hard < 0) {
      this.unlimited.add(project.id);
      return;
    }
    let requested = 0;
    for (const [digest, size] of sizes) if (!standing.held.has(digest)) requested += size;
    if (requested > 0 && standing.used + requested > standing.hard) throw this.refuse(project, subject, requested, standing.used, standing.hard, operator);
  }

  /** After a blob link: throws the 403 when the link was refused; otherwise emits `quota.warning` if it crossed the line. */
  afterLink(project: ProjectRef, subject: ChargeSubject, charge: LinkCharge | undefined, operator: Operator): void {
    if (!charge) return;
    if (charge.refused) throw this.refuse(project, subject, charge.charged, charge.used, charge.hard, operator);
    this.warnIfCrossed(project, subject, charge.used - charge.charged, charge.used, charge.hard, operator);
  }

  /**
   * Runs a push that charges the project (`artifactsRepo.push`): a refusal from the database becomes the 403 (and
   * `quota.exceeded`), and a charge that crosses the warning line emits `quota.warning`.
   */
  async charging<T extends { quota?: { charged: number; used: number | null; hard: number } }>(project: ProjectRef, subject: ChargeSubject, operator: Operator, push: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await push();
    } catch (err) {
      if (err instanceof QuotaRefusal) throw this.refuse(project, subject, err.requested, err.used, err.hard, operator);
      throw err;
    }
    const q = result.quota;
    // Usage is returned for limited projects only, which are the only ones a warning concerns.
    if (q && q.charged > 0 && q.used !== null) this.warnIfCrossed(project, subject, q.used - q.charged, q.used, q.hard, operator);
    return result;
  }

  private refuse(project: ProjectRef, subject: ChargeSubject, requested: number, used: number, hard: number, operator: Operator): BerthError {
    this.unlimited.delete(project.id);
    this.events.emit('quota.exceeded', operator, { projectId: project.id, projectName: project.name, ...subject, used, hard, requested });
    return quotaExceeded(project.name, requested, used, hard);
  }

  private warnIfCrossed(project: ProjectRef, subject: ChargeSubject, before: number, after: number, hard: number, operator: Operator): void {
    if (hard <= 0) return;
    const line = (hard * this.warningPercent) / 100;
    if (before < line && after >= line) {
      this.events.emit('quota.warning', operator, { projectId: project.id, projectName: project.name, ...subject, used: after, hard });
    }
  }
}
