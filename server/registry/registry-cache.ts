import { Lru } from '../core/lru.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';

/** An artifact as the manifest GET/HEAD path needs it. */
export interface CachedArtifact {
  digest: string;
  mediaType: string;
  size: number;
  subjectDigest: string | null;
}

/**
 * Memory caches for the pull hot path, so a manifest GET/HEAD or blob HEAD costs no query once warm.
 * Content-addressed data (manifest bodies) never goes stale. Mappings that can change (tag -> digest, which
 * repository holds which artifact or blob) are updated or dropped by the service that changes them, and the change
 * is announced to the other nodes sharing the database (`Invalidator`), which drop their copies.
 */
/** Repositories with more tags than this are paged from the database instead of memory. */
export const maxCachedTags = 50_000;

export class RegistryCache {
  /** `repo\ttag` -> digest */
  readonly tags = new Lru<string, string>(100_000);
  /** `repo\tdigest` -> artifact */
  readonly artifacts = new Lru<string, CachedArtifact>(100_000);
  /** `repo\tdigest` -> blob size */
  readonly blobs = new Lru<string, number>(200_000);
  /** repo -> all tag names in byte order (repositories with up to `maxCachedTags` tags) */
  readonly tagLists = new Lru<string, string[]>(2_000_000, (list) => list.length + 1);
  /** digest -> manifest bytes */
  readonly bodies: Lru<string, Buffer>;

  /**
   * Bumped on every change to a repository's tags or artifacts. A reader notes it before querying and fills
   * the cache only if it is unchanged afterwards, so a slow read cannot overwrite a newer write with old data.
   */
  private readonly generations = new Map<string, number>();
  /** Bumped when everything is dropped (a node that lost its invalidation feed), so no read in flight refills. */
  private epoch = 0;

  generation(repo: string): number {
    return this.epoch * 2 ** 32 + (this.generations.get(repo) ?? 0);
  }

  isCurrent(repo: string, generation: number): boolean {
    return this.generation(repo) === generation;
  }

  private bump(repo: string): void {
    this.generations.set(repo, (this.generations.get(repo) ?? 0) + 1);
  }

  constructor(
    manifestCacheBytes: number,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    this.bodies = new Lru<string, Buffer>(manifestCacheBytes, (b) => b.length + 64);
    // What another node changed: `repo\ttag` (or just the repository when no tag moved), `repo\tdigest`.
    cluster.register('registry.tags', (key) => this.remote(key, (repo, tag) => this.dropTags(repo, tag)));
    cluster.register('registry.artifact', (key) => this.remote(key, (repo, digest) => digest && this.dropArtifact(repo, digest)));
    cluster.register('registry.blob', (key) => this.remote(key, (repo, digest) => digest && this.blobs.delete(RegistryCache.key(repo, digest))));
  }

  static key(repo: string, item: string): string {
    return `${repo}\t${item}`;
  }

  /**
   * After a manifest push (`tag` when it was by tag) or a tag was created, moved or deleted. The tag is dropped,
   * not set: concurrent pushes to one tag finish their commits and their cache writes in different orders, so only
   * a read after the change (guarded by the generation) may fill it. Other nodes hear of tag changes only: a push
   * by digest changes nothing they may have cached (absent artifacts are not cached).
   */
  tagsChanged(repo: string, tag?: string): void {
    this.dropTags(repo, tag);
    if (tag !== undefined) this.cluster.announce('registry.tags', RegistryCache.key(repo, tag));
  }

  /** After an artifact is deleted: forget it and every tag that pointed at it, here and on the other nodes. */
  forgetArtifact(repo: string, digest: string): void {
    this.dropArtifact(repo, digest);
    this.cluster.announce('registry.artifact', RegistryCache.key(repo, digest));
  }

  /** After a blob is unlinked from a repository. */
  forgetBlob(repo: string, digest: string): void {
    this.blobs.delete(RegistryCache.key(repo, digest));
    this.cluster.announce('registry.blob', RegistryCache.key(repo, digest));
  }

  private dropTags(repo: string, tag: string | undefined): void {
    this.bump(repo);
    this.tagLists.delete(repo);
    if (tag !== undefined) this.tags.delete(RegistryCache.key(repo, tag));
  }

  private dropArtifact(repo: string, digest: string): void {
    this.bump(repo);
    this.artifacts.delete(RegistryCache.key(repo, digest));
    this.tagLists.delete(repo);
    const prefix = `${repo}\t`;
    this.tags.deleteWhere((k, v) => v === digest && k.startsWith(prefix));
  }

  /** Applies another node's change; `*` (this node missed messages) drops everything that can go stale. */
  private remote(key: string, apply: (repo: string, item: string | undefined) => void): void {
    if (key === '*') {
      this.epoch++;
      this.tags.clear();
      this.artifacts.clear();
      this.blobs.clear();
      this.tagLists.clear();
      return;
    }
    const tab = key.indexOf('\t');
    apply(tab < 0 ? key : key.slice(0, tab), tab < 0 ? undefined : key.slice(tab + 1));
  }
}
