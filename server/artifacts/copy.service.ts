import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import { artifactsRepo } from './artifacts.repo.ts';
import { repositoriesRepo } from './repositories.repo.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import type { BlobService } from '../registry/blob.service.ts';
import type { ManifestService } from '../registry/manifest.service.ts';
import { manifestKindOf } from '../registry/media-types.ts';
import type { Reference } from '../registry/names.ts';
import { accessoriesRepo } from './accessories.repo.ts';
import { parseCosignTag } from './accessory-type.ts';
import { artifactViewsRepo, type ArtifactViewRow } from './artifact-views.repo.ts';
import type { Operator } from '../core/actor.ts';
import { blobsRepo } from '../blobs/blobs.repo.ts';
import type { QuotaService } from '../quotas/quotas.service.ts';

interface CopyJob {
  target: { project: ProjectRef; repository: string };
  source: { id: number; name: string };
  operator: Operator;
  /** Digests already planned in this request. */
  seen: Set<string>;
  quiet: boolean;
}

/** One manifest to record in the target, in order, with the blobs to link first. */
interface CopyStep {
  artifact: ArtifactViewRow;
  tag: string | undefined;
  blobs: string[];
}

/**
 * Server-side copy (`POST .../artifacts?from=`): no blob bytes move. The whole copy is planned first (an index's
 * children, then the artifact with the source tag when copying by tag, then its accessories) and checked against
 * the target project's quota as one request, so a copy that cannot fit is refused before anything is written.
 * Then the source's blobs are linked into the target repository (BlobService.mount, which charges the quota) and
 * each manifest is recorded from its stored bytes through ManifestService.put, so validation, quotas, immutability
 * and caches are those of a push.
 */
export class CopyService {
  constructor(
    private readonly db: Knex,
    private readonly manifests: ManifestService,
    private readonly blobs: BlobService,
    private readonly quotas: QuotaService,
  ) {}

  /** Copies an artifact; `quiet` emits no event (a promotion announces the move as one `artifact.promoted`). */
  async copy(target: { project: ProjectRef; repository: string }, from: { repository: string; reference: Reference }, operator: Operator, options: { quiet?: boolean } = {}): Promise<{ digest: string }> {
    const source = await repositoriesRepo.findByName(this.db, from.repository);
    if (!source) throw new BerthError('NOT_FOUND', `repository ${from.repository} not found`);
    const ref = from.reference;
    const artifact = ref.kind === 'digest' ? await artifactViewsRepo.byDigest(this.db, source.id, ref.digest) : await artifactViewsRepo.byTag(this.db, source.id, ref.tag);
    if (!artifact) throw new BerthError('NOT_FOUND', `artifact ${ref.kind === 'digest' ? ref.digest : ref.tag} not found in ${from.repository}`);
    if (await this.isAccessory(artifact)) throw new BerthError('DENIED', "the operation isn't supported for an artifact accessory; copy its subject");
    const tag = ref.kind === 'tag' ? ref.tag : undefined;
    if (tag && !artifact.digest.startsWith('sha256:')) throw new BerthError('BAD_REQUEST', 'a manifest with a non-sha256 digest can only be copied by digest');
    const job: CopyJob = { target, source: { id: source.id, name: source.name }, operator, seen: new Set(), quiet: options.quiet ?? false };
    const steps: CopyStep[] = [];
    await this.plan(job, artifact, tag, steps);
    await this.checkQuota(job, steps, artifact.digest);
    for (const step of steps) await this.record(job, step);
    return { digest: artifact.digest };
  }

  private async isAccessory(a: ArtifactViewRow): Promise<boolean> {
    if (a.subject_digest) return true;
    return (await artifactViewsRepo.tagsOf(this.db, [a.id])).some((t) => parseCosignTag(t.name) !== undefined);
  }

  private async plan(job: CopyJob, artifact: ArtifactViewRow, tag: string | undefined, steps: CopyStep[]): Promise<void> {
    if (job.seen.has(artifact.digest)) return;
    job.seen.add(artifact.digest);
    if (manifestKindOf(artifact.media_type) === 'index') {
      for (const child of await artifactViewsRepo.references(this.db, [artifact.id])) {
        const row = await artifactViewsRepo.byDigest(this.db, job.source.id, child.child_digest);
        if (!row) throw new BerthError('NOT_FOUND', `child ${child.child_digest} of ${artifact.digest} is missing in ${job.source.name}`);
        await this.plan(job, row, undefined, steps);
      }
    }
    steps.push({ artifact, tag, blobs: await artifactViewsRepo.blobDigests(this.db, artifact.id) });
    for (const accessory of await accessoriesRepo.of(this.db, [artifact.id])) {
      const row = await artifactViewsRepo.byDigest(this.db, job.source.id, accessory.digest);
      // A tag-named accessory keeps its tag: that tag is what attaches it (cosign's `sha256-<hex>.sig`).
      if (row) await this.plan(job, row, accessory.cosign_tag ?? undefined, steps);
    }
  }

  /** Everything the copy would charge to the target: its blobs (as stored in the source) and its manifests. */
  private async checkQuota(job: CopyJob, steps: CopyStep[], digest: string): Promise<void> {
    const sizes = await blobsRepo.linkedAmong(this.db, job.source.name, [...new Set(steps.flatMap((s) => s.blobs))]);
    const items = [...sizes].map(([d, size]) => ({ digest: d, size }));
    for (const step of steps) items.push({ digest: step.artifact.digest, size: step.artifact.manifest_size });
    await this.quotas.precheckMany(job.target.project, { repository: job.target.repository, digest }, items, job.operator);
  }

  private async record(job: CopyJob, step: CopyStep): Promise<void> {
    const { artifact, tag } = step;
    for (const digest of step.blobs) {
      if (!(await this.blobs.mount(job.target.repository, job.target.project, digest, job.source.name, job.operator))) {
        throw new BerthError('NOT_FOUND', `blob ${digest} of ${artifact.digest} is not stored in ${job.source.name}`);
      }
    }
    const body = await artifactsRepo.manifestBytes(this.db, artifact.digest);
    if (!body) throw new BerthError('NOT_FOUND', `manifest ${artifact.digest} is gone`);
    const ref: Reference = tag ? { kind: 'tag', tag } : { kind: 'digest', digest: artifact.digest };
    await this.manifests.put(job.target.repository, job.target.project, ref, body, artifact.media_type, job.operator, {
      copiedFrom: { repository: job.source.name, digest: artifact.digest },
      quiet: job.quiet,
    });
  }
}
