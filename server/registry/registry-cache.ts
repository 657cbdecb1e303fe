import { Lru } from '../core/lru.ts';

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
 * repository holds which artifact or blob) are updated or dropped by the service that changes them.
 * Several Berth processes sharing one database need cross-node invalidation (PostgreSQL LISTEN/NOTIFY), which
 * arrives with the event bus; until then run one registry process per database.
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

  generation(repo: string): number {
    return this.generations.get(repo) ?? 0;
  }

  isCurrent(repo: string, generation: number): boolean {
    return this.generation(repo) === generation;
  }

  private bump(repo: string): void {
    this.generations.set(repo, this.generation(repo) + 1);
  }

  constructor(manifestCacheBytes: number) {
    this.bodies = new Lru<string, Buffer>(manifestCacheBytes, (b) => b.length + 64);
  }

  static key(repo: string, item: string): string {
    return `${repo}\t${item}`;
  }

  /** After a tag was created, moved or deleted in the repository. */
  tagsChanged(repo: string): void {
    this.bump(repo);
    this.tagLists.delete(repo);
  }

  /** After an artifact is deleted: forget it and every tag that pointed at it. */
  forgetArtifact(repo: string, digest: string): void {
    this.bump(repo);
    this.artifacts.delete(RegistryCache.key(repo, digest));
    this.tagLists.delete(repo);
    const prefix = `${repo}\t`;
    this.tags.deleteWhere((k, v) => v === digest && k.startsWith(prefix));
  }
}
