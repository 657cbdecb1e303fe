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
export class RegistryCache {
  /** `repo\ttag` -> digest */
  readonly tags = new Lru<string, string>(100_000);
  /** `repo\tdigest` -> artifact */
  readonly artifacts = new Lru<string, CachedArtifact>(100_000);
  /** `repo\tdigest` -> blob size */
  readonly blobs = new Lru<string, number>(200_000);
  /** digest -> manifest bytes */
  readonly bodies: Lru<string, Buffer>;

  constructor(manifestCacheBytes: number) {
    this.bodies = new Lru<string, Buffer>(manifestCacheBytes, (b) => b.length + 64);
  }

  static key(repo: string, item: string): string {
    return `${repo}\t${item}`;
  }

  /** After an artifact is deleted: forget it and every tag that pointed at it. */
  forgetArtifact(repo: string, digest: string): void {
    this.artifacts.delete(RegistryCache.key(repo, digest));
    const prefix = `${repo}\t`;
    this.tags.deleteWhere((k, v) => v === digest && k.startsWith(prefix));
  }
}
