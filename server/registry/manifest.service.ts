import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import { digestOf, parseDigest } from '../core/digest.ts';
import { artifactsRepo } from '../artifacts/artifacts.repo.ts';
import { repositoriesRepo } from '../artifacts/repositories.repo.ts';
import { tagsRepo } from '../artifacts/tags.repo.ts';
import { blobsRepo } from '../blobs/blobs.repo.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { isForeignLayer } from './media-types.ts';
import { parseManifest, type ParsedManifest } from './manifest-parser.ts';
import { requireTag, type Reference } from './names.ts';
import { maxCachedTags, RegistryCache, type CachedArtifact } from './registry-cache.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ImmutabilityService } from '../immutability/immutability.service.ts';
import type { QuotaService } from '../quotas/quotas.service.ts';
import type { Operator } from '../core/actor.ts';

export interface StoredManifest extends CachedArtifact {
  body: Buffer;
}

/** How a manifest came to be recorded, when not by a client's push. */
export interface PutOptions {
  /** A server-side copy from this artifact: `artifact.copied` is emitted instead of `artifact.pushed`. */
  copiedFrom?: { repository: string; digest: string };
  /** Emit nothing: the caller announces the change as one event of its own (a promotion). */
  quiet?: boolean;
}

export interface PushedManifest {
  digest: string;
  subjectDigest?: string;
  /** False when the same digest was already in the repository (a re-push or a retag). */
  created: boolean;
}

/**
 * Manifests and tags of a repository. Reads are answered from memory once warm; writes validate the manifest and
 * record it (bytes, references, tag) in one atomic statement, which also charges the project's storage quota.
 * Tags that the project's immutability rules cover cannot be moved or deleted (412), on /v2 and through the API.
 */
export class ManifestService {
  constructor(
    private readonly db: Knex,
    private readonly cache: RegistryCache,
    private readonly events: EventBus,
    private readonly quotas: QuotaService,
    private readonly immutability: ImmutabilityService,
  ) {}

  /** Resolves a reference to the artifact; MANIFEST_UNKNOWN when the repository has none. */
  async resolve(repo: string, ref: Reference): Promise<CachedArtifact> {
    const digest = ref.kind === 'digest' ? ref.digest : await this.resolveTag(repo, ref.tag);
    const key = RegistryCache.key(repo, digest);
    const cached = this.cache.artifacts.get(key);
    if (cached) return cached;
    const generation = this.cache.generation(repo);
    const row = await artifactsRepo.find(this.db, repo, digest);
    if (!row) throw new BerthError('MANIFEST_UNKNOWN', undefined, ref.kind === 'tag' ? { tag: ref.tag } : { digest });
    const artifact = { digest: row.digest, mediaType: row.media_type, size: row.manifest_size, subjectDigest: row.subject_digest };
    if (this.cache.isCurrent(repo, generation)) this.cache.artifacts.set(key, artifact);
    return artifact;
  }

  /**
   * The manifest with its bytes. With `pull`, this is a client's pull: `artifact.pulled` is emitted (pull
   * statistics and the audit log batch it; nothing is written to the database on this path).
   */
  async get(repo: string, ref: Reference, pull?: { project: ProjectRef; operator: Operator; tag?: string }): Promise<StoredManifest> {
    const artifact = await this.resolve(repo, ref);
    let body = this.cache.bodies.get(artifact.digest);
    if (!body) {
      body = await artifactsRepo.manifestBytes(this.db, artifact.digest);
      if (!body) throw new BerthError('MANIFEST_UNKNOWN', undefined, { digest: artifact.digest });
      this.cache.bodies.set(artifact.digest, body);
    }
    if (pull) {
      this.events.emit('artifact.pulled', pull.operator, {
        projectId: pull.project.id,
        projectName: pull.project.name,
        repository: repo,
        digest: artifact.digest,
        mediaType: artifact.mediaType,
        tags: pull.tag !== undefined ? [pull.tag] : ref.kind === 'tag' ? [ref.tag] : [],
      });
    }
    return { ...artifact, body };
  }

  private async resolveTag(repo: string, tag: string): Promise<string> {
    const key = RegistryCache.key(repo, tag);
    const cached = this.cache.tags.get(key);
    if (cached) return cached;
    const generation = this.cache.generation(repo);
    const row = await tagsRepo.resolve(this.db, repo, tag);
    if (!row) throw new BerthError('MANIFEST_UNKNOWN', undefined, { tag });
    if (this.cache.isCurrent(repo, generation)) this.cache.tags.set(key, row.digest);
    return row.digest;
  }

  async put(repo: string, project: ProjectRef, ref: Reference, body: Buffer, contentType: string | undefined, operator: Operator, options: PutOptions = {}): Promise<PushedManifest> {
    const manifest = parseManifest(body, contentType);
    const algorithm = ref.kind === 'digest' ? parseDigest(ref.digest)!.algorithm : 'sha256';
    const digest = digestOf(body, algorithm);
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw new BerthError('DIGEST_INVALID', `manifest digest is ${digest}, not ${ref.digest}`);
    }
    if (ref.kind === 'tag') await this.checkTagMove(repo, project, ref.tag, digest);
    const blobSizes = await this.checkReferences(repo, manifest);

    const size = body.length + [...blobSizes.values()].reduce((a, b) => a + b, 0);
    const before = this.cache.generation(repo);
    const { created } = await this.quotas.charging(project, { repository: repo, digest }, operator, () => artifactsRepo.push(this.db, {
      repositoryName: repo,
      projectId: project.id,
      digest,
      mediaType: manifest.mediaType,
      artifactType: manifest.artifactType,
      configMediaType: manifest.config?.mediaType,
      configDigest: manifest.config?.digest,
      manifest: body,
      size,
      annotations: manifest.annotations,
      subjectDigest: manifest.subject?.digest,
      blobDigests: [...blobSizes.keys()],
      children: manifest.manifests.map((m) => ({ digest: m.digest, platform: m.platform })),
      tag: ref.kind === 'tag' ? ref.tag : undefined,
    }));

    // The artifact is cached for the pushes that follow (an index's children, then the index) only when nothing else
    // changed the repository meanwhile: a delete that committed after this push must not be undone by this write.
    const alone = this.cache.isCurrent(repo, before);
    this.cache.tagsChanged(repo, ref.kind === 'tag' ? ref.tag : undefined);
    this.cache.bodies.set(digest, body);
    if (alone) {
      this.cache.artifacts.set(RegistryCache.key(repo, digest), { digest, mediaType: manifest.mediaType, size: body.length, subjectDigest: manifest.subject?.digest ?? null });
    }
    const tags = ref.kind === 'tag' ? [ref.tag] : [];
    if (options.quiet) return { digest, subjectDigest: manifest.subject?.digest, created };
    if (options.copiedFrom) this.events.emit('artifact.copied', operator, { projectId: project.id, projectName: project.name, repository: repo, digest, mediaType: manifest.mediaType, tags, size, from: options.copiedFrom });
    else this.events.emit('artifact.pushed', operator, {
      projectId: project.id,
      projectName: project.name,
      repository: repo,
      digest,
      mediaType: manifest.mediaType,
      tags: ref.kind === 'tag' ? [ref.tag] : [],
      size,
      created,
    });
    return { digest, subjectDigest: manifest.subject?.digest, created };
  }

  /**
   * An immutable tag keeps its digest: pushing it again with the same digest is fine, a new tag matching a rule is
   * fine (and immutable from then on), moving it to another digest is 412. Costs no query for a project without
   * rules once its (empty) rule list is cached.
   */
  private async checkTagMove(repo: string, project: ProjectRef, tag: string, digest: string): Promise<void> {
    const rule = await this.immutability.ruleFor(project.id, repo, tag);
    if (!rule) return;
    const current = await this.resolveTag(repo, tag).catch((err: unknown) => {
      if (err instanceof BerthError && err.code === 'MANIFEST_UNKNOWN') return undefined;
      throw err;
    });
    if (current !== undefined && current !== digest) throw immutableTag(repo, tag, `the tag ${repo}:${tag} is immutable (${rule.why}) and cannot be overwritten; push under a new tag`);
  }

  /**
   * Every blob an image manifest names must be in the repository (with the size the descriptor claims), and every
   * manifest an index names must be a manifest of the repository. Returns the blobs' sizes.
   */
  private async checkReferences(repo: string, manifest: ParsedManifest): Promise<Map<string, number>> {
    if (manifest.kind === 'index') {
      const wanted = [...new Set(manifest.manifests.map((m) => m.digest))];
      const unseen = wanted.filter((d) => !this.cache.artifacts.get(RegistryCache.key(repo, d)));
      const present = new Set([...wanted.filter((d) => !unseen.includes(d)), ...(await artifactsRepo.digestsAmong(this.db, repo, unseen))]);
      const missing = wanted.filter((d) => !present.has(d));
      if (missing.length) throw new BerthError('MANIFEST_BLOB_UNKNOWN', `index names manifests unknown to this repository: ${missing.slice(0, 5).join(', ')}`, { digests: missing.slice(0, 20) });
      return new Map();
    }
    const descriptors = [manifest.config!, ...manifest.layers].filter((d) => !isForeignLayer(d.mediaType));
    const wanted = [...new Set(descriptors.map((d) => d.digest))];
    // Blobs just pushed are in the link cache, so a typical push needs no query here.
    const present = new Map<string, number>();
    const unseen: string[] = [];
    for (const d of wanted) {
      const size = this.cache.blobs.get(RegistryCache.key(repo, d));
      if (size === undefined) unseen.push(d);
      else present.set(d, size);
    }
    for (const [d, size] of await blobsRepo.linkedAmong(this.db, repo, unseen)) present.set(d, size);
    const missing = wanted.filter((d) => !present.has(d));
    if (missing.length) throw new BerthError('MANIFEST_BLOB_UNKNOWN', `manifest names blobs unknown to this repository: ${missing.slice(0, 5).join(', ')}`, { digests: missing.slice(0, 20) });
    for (const d of descriptors) {
      if (present.get(d.digest) !== d.size) {
        throw new BerthError('MANIFEST_INVALID', `descriptor for ${d.digest} says ${d.size} bytes, the stored blob has ${present.get(d.digest)}`);
      }
    }
    return present;
  }

  /**
   * Adds a tag to an artifact of the repository (the management API's tag creation): CONFLICT when the repository
   * has that tag already, whichever artifact it names (moving a tag is a push). Emits `tag.created`.
   */
  async addTag(repo: string, project: ProjectRef, digest: string, tag: string, operator: Operator): Promise<void> {
    requireTag(tag);
    const row = await artifactsRepo.find(this.db, repo, digest);
    if (!row) throw new BerthError('MANIFEST_UNKNOWN', undefined, { digest });
    if (!(await tagsRepo.insertIfAbsent(this.db, row.repository_id, tag, row.id))) throw new BerthError('CONFLICT', `the repository ${repo} has a tag named ${tag} already`);
    this.cache.tagsChanged(repo, tag);
    this.events.emit('tag.created', operator, { projectId: project.id, projectName: project.name, repository: repo, digest, mediaType: row.media_type, tags: [tag], size: row.size });
  }

  /** By tag: removes the tag only. By digest: removes the artifact and every tag pointing at it. */
  async delete(repo: string, project: ProjectRef, ref: Reference, operator: Operator): Promise<void> {
    if (ref.kind === 'tag') {
      const rule = await this.immutability.ruleFor(project.id, repo, ref.tag);
      // An unknown tag stays a 404 even when a rule covers its name.
      if (rule && (await this.resolve(repo, ref))) throw immutableTag(repo, ref.tag, `the tag ${repo}:${ref.tag} is immutable (${rule.why}) and cannot be deleted`);
      const removed = await tagsRepo.delete(this.db, repo, ref.tag);
      this.cache.tagsChanged(repo, ref.tag);
      if (!removed) throw new BerthError('MANIFEST_UNKNOWN', undefined, { tag: ref.tag });
      this.events.emit('tag.deleted', operator, { projectId: project.id, projectName: project.name, repository: repo, digest: removed.digest, mediaType: removed.media_type, tags: [ref.tag] });
      return;
    }
    const row = await artifactsRepo.find(this.db, repo, ref.digest);
    if (!row) throw new BerthError('MANIFEST_UNKNOWN', undefined, { digest: ref.digest });
    const parents = await artifactsRepo.parentsOf(this.db, row.repository_id, ref.digest);
    if (parents.length) {
      throw new BerthError('DENIED', `manifest ${ref.digest} is part of index ${parents[0]}; delete the index first`, { parents });
    }
    const tags = await tagsRepo.namesOf(this.db, row.id);
    const [locked] = await this.immutability.immutableTags(project.id, repo, tags);
    if (locked !== undefined) throw immutableTag(repo, locked, `${ref.digest} carries the tag ${repo}:${locked}, configured as immutable, so it cannot be deleted`);
    await artifactsRepo.delete(this.db, row.id);
    this.cache.forgetArtifact(repo, ref.digest);
    this.events.emit('artifact.deleted', operator, { projectId: project.id, projectName: project.name, repository: repo, digest: row.digest, mediaType: row.media_type, tags, size: row.size });
  }

  /**
   * One page of tag names; `more` says whether another page follows. A repository's whole tag list is kept in
   * memory (sorted) so paging costs no query; very large repositories page from the database.
   */
  async tags(repo: string, opts: { last?: string; limit: number }): Promise<{ name: string; tags: string[]; more: boolean }> {
    if (opts.limit === 0) {
      if (!this.cache.tagLists.get(repo) && !(await repositoriesRepo.findByName(this.db, repo))) throw new BerthError('NAME_UNKNOWN', undefined, { name: repo });
      return { name: repo, tags: [], more: false };
    }
    let all = this.cache.tagLists.get(repo);
    if (!all) {
      const generation = this.cache.generation(repo);
      const repository = await repositoriesRepo.findByName(this.db, repo);
      if (!repository) throw new BerthError('NAME_UNKNOWN', undefined, { name: repo });
      const loaded = await tagsRepo.names(this.db, repository.id, { limit: maxCachedTags + 1 });
      if (loaded.length > maxCachedTags) {
        const names = await tagsRepo.names(this.db, repository.id, { last: opts.last, limit: opts.limit + 1 });
        return { name: repo, tags: names.slice(0, opts.limit), more: names.length > opts.limit };
      }
      all = loaded;
      if (this.cache.isCurrent(repo, generation)) this.cache.tagLists.set(repo, all);
    }
    const from = opts.last === undefined ? 0 : firstAfter(all, opts.last);
    const tags = all.slice(from, from + opts.limit);
    return { name: repo, tags, more: from + opts.limit < all.length };
  }

  /** The referrers of `digest` as an OCI image index. */
  async referrers(repo: string, digest: string, artifactType?: string): Promise<object> {
    const rows = await artifactsRepo.referrers(this.db, repo, digest, artifactType);
    return {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: rows.map((r) => ({
        mediaType: r.media_type,
        digest: r.digest,
        size: r.manifest_size,
        ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
        ...(r.annotations ? { annotations: r.annotations } : {}),
      })),
    };
  }
}

/**
 * The 412 for an immutable tag. Harbor says "Failed to process request due to '<repo>:<tag>' configured as
 * immutable."; on /v2 the code is DENIED (the spec's code for an operation the registry refuses, which clients print
 * as "denied: <message>"), with Harbor's 412 status.
 */
function immutableTag(repo: string, tag: string, message: string): BerthError {
  return new BerthError('PRECONDITION', message, { repository: repo, tag });
}

/** Index of the first name sorting after `last` in byte order (the list is sorted the same way). */
function firstAfter(sorted: string[], last: string): number {
  const key = Buffer.from(last);
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(Buffer.from(sorted[mid]!), key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
