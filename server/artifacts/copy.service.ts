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

interface CopyJob {
  target: { project: ProjectRef; repository: string };
  source: { id: number; name: string };
  operator: Operator;
  /** Digests already copied (or being copied) in this request. */
  seen: Set<string>;
}

/**
 * Server-side copy (`POST .../artifacts?from=`): no blob bytes move. The source's blobs are linked into the target
 * repository (BlobService.mount, which charges the target project's quota) and each manifest is recorded from its
 * stored bytes through ManifestService.put, so validation, quotas, immutability and caches are those of a push:
 * an index's children first, then the artifact (with the source tag when copying by tag), then its accessories.
 */
export class CopyService {
  constructor(
    private readonly db: Knex,
    private readonly manifests: ManifestService,
    private readonly blobs: BlobService,
  ) {}

  async copy(target: { project: ProjectRef; repository: string }, from: { repository: string; reference: Reference }, operator: Operator): Promise<{ digest: string }> {
    const source = await repositoriesRepo.findByName(this.db, from.repository);
    if (!source) throw new BerthError('NOT_FOUND', `repository ${from.repository} not found`);
    const ref = from.reference;
    const artifact = ref.kind === 'digest' ? await artifactViewsRepo.byDigest(this.db, source.id, ref.digest) : await artifactViewsRepo.byTag(this.db, source.id, ref.tag);
    if (!artifact) throw new BerthError('NOT_FOUND', `artifact ${ref.kind === 'digest' ? ref.digest : ref.tag} not found in ${from.repository}`);
    if (await this.isAccessory(artifact)) throw new BerthError('DENIED', "the operation isn't supported for an artifact accessory; copy its subject");
    const tag = ref.kind === 'tag' ? ref.tag : undefined;
    if (tag && !artifact.digest.startsWith('sha256:')) throw new BerthError('BAD_REQUEST', 'a manifest with a non-sha256 digest can only be copied by digest');
    await this.copyOne({ target, source: { id: source.id, name: source.name }, operator, seen: new Set() }, artifact, tag);
    return { digest: artifact.digest };
  }

  private async isAccessory(a: ArtifactViewRow): Promise<boolean> {
    if (a.subject_digest) return true;
    return (await artifactViewsRepo.tagsOf(this.db, [a.id])).some((t) => parseCosignTag(t.name) !== undefined);
  }

  private async copyOne(job: CopyJob, artifact: ArtifactViewRow, tag: string | undefined): Promise<void> {
    if (job.seen.has(artifact.digest)) return;
    job.seen.add(artifact.digest);
    if (manifestKindOf(artifact.media_type) === 'index') {
      for (const child of await artifactViewsRepo.references(this.db, [artifact.id])) {
        const row = await artifactViewsRepo.byDigest(this.db, job.source.id, child.child_digest);
        if (!row) throw new BerthError('NOT_FOUND', `child ${child.child_digest} of ${artifact.digest} is missing in ${job.source.name}`);
        await this.copyOne(job, row, undefined);
      }
    }
    for (const digest of await artifactViewsRepo.blobDigests(this.db, artifact.id)) {
      if (!(await this.blobs.mount(job.target.repository, job.target.project, digest, job.source.name))) {
        throw new BerthError('NOT_FOUND', `blob ${digest} of ${artifact.digest} is not stored in ${job.source.name}`);
      }
    }
    const body = await artifactsRepo.manifestBytes(this.db, artifact.digest);
    if (!body) throw new BerthError('NOT_FOUND', `manifest ${artifact.digest} is gone`);
    const ref: Reference = tag ? { kind: 'tag', tag } : { kind: 'digest', digest: artifact.digest };
    await this.manifests.put(job.target.repository, job.target.project, ref, body, artifact.media_type, job.operator, {
      copiedFrom: { repository: job.source.name, digest: artifact.digest },
    });
    for (const accessory of await accessoriesRepo.of(this.db, [artifact.id])) {
      const row = await artifactViewsRepo.byDigest(this.db, job.source.id, accessory.digest);
      // A tag-named accessory keeps its tag: that tag is what attaches it (cosign's `sha256-<hex>.sig`).
      if (row) await this.copyOne(job, row, accessory.cosign_tag ?? undefined);
    }
  }
}
