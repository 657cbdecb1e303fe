import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { BerthError } from '../core/errors.ts';
import { requireDigest } from '../core/digest.ts';
import { newUploadId } from '../core/ids.ts';
import { blobsRepo } from '../blobs/blobs.repo.ts';
import { LinkBatcher } from '../blobs/link-batcher.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { RandomAccessFile } from '../storage/driver.ts';
import type { UploadRef } from '../storage/paths.ts';
import type { UploadStore } from '../storage/upload-store.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import type { QuotaService } from '../quotas/quotas.service.ts';
import { RegistryCache } from './registry-cache.ts';
import type { Operator } from '../core/actor.ts';

/** The request body of an upload step, with what the client declared about it. */
export interface UploadBody {
  stream: Readable;
  /** Offset the chunk starts at (Content-Range), when given. */
  start?: number;
  /** Content-Length, when given. */
  length?: number;
}

/**
 * Blobs as a repository sees them: reads check the repository's link (from cache on the hot path), uploads
 * stream to storage while hashing and become visible only after the digest checks out. Every link is charged to the
 * project's storage quota; one that would pass the limit is refused with 403 DENIED (before the bytes are published
 * when the size is known in time).
 */
export class BlobService {
  /** Links of uploads finishing together are written in one statement. */
  private readonly links: LinkBatcher;

  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly uploads: UploadStore,
    private readonly cache: RegistryCache,
    private readonly log: Logger,
    private readonly quotas: QuotaService,
  ) {
    this.links = new LinkBatcher(db);
  }

  /** Links a verified blob to the repository, charging the project; throws the quota's 403 when it is refused. */
  private async linkCharged(repo: string, project: ProjectRef, digest: string, size: number, operator: Operator): Promise<void> {
    const charge = await this.links.link({ repositoryName: repo, projectId: project.id, digest, size });
    this.quotas.afterLink(project, { repository: repo, digest }, charge, operator);
    this.cache.blobs.set(RegistryCache.key(repo, digest), size);
  }

  /** Size of a blob the repository may serve; BLOB_UNKNOWN otherwise. */
  async stat(repo: string, digest: string): Promise<number> {
    requireDigest(digest);
    const key = RegistryCache.key(repo, digest);
    const cached = this.cache.blobs.get(key);
    if (cached !== undefined) return cached;
    const size = await blobsRepo.linkedSize(this.db, repo, digest);
    if (size === null) throw new BerthError('BLOB_UNKNOWN', undefined, { digest });
    this.cache.blobs.set(key, size);
    return size;
  }

  /** The blob's bytes for a client: a positional reader when storage offers one, else a stream. */
  async open(digest: string, range?: { start: number; end: number }): Promise<{ file: RandomAccessFile } | { stream: Readable }> {
    const file = await this.blobs.openRandomAccess(digest);
    return file ? { file } : { stream: await this.blobs.open(digest, range) };
  }

  /** Removes the blob from the repository; the bytes stay until garbage collection finds them unreferenced. */
  async unlink(repo: string, digest: string): Promise<void> {
    requireDigest(digest);
    const removed = await blobsRepo.unlink(this.db, repo, digest);
    this.cache.forgetBlob(repo, digest);
    if (removed === 0) throw new BerthError('BLOB_UNKNOWN', undefined, { digest });
  }

  /**
   * Links a blob another repository holds; false when the source does not have it (the caller then uploads). The
   * target project is charged like an upload: over its quota this throws 403 DENIED rather than falling back.
   */
  async mount(repo: string, project: ProjectRef, digest: string, from: string, operator: Operator = 'system'): Promise<boolean> {
    requireDigest(digest);
    const size = await blobsRepo.linkedSize(this.db, from, digest);
    if (size === null || (await this.blobs.size(digest)) !== size) return false;
    await this.linkCharged(repo, project, digest, size, operator);
    return true;
  }

  async startUpload(repo: string): Promise<string> {
    const id = newUploadId();
    await this.uploads.create({ id, repository: repo });
    return id;
  }

  /** Bytes received so far. */
  async uploadStatus(repo: string, id: string): Promise<number> {
    const size = await this.uploads.size(session(repo, id));
    if (size === null) throw new BerthError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id.slice(0, 100) });
    return size;
  }

  async appendChunk(repo: string, id: string, body: UploadBody): Promise<number> {
    return this.uploads.append(session(repo, id), body.stream, body.start, body.length);
  }

  /** Appends the final chunk (if any), verifies the digest and makes the blob visible in the repository. */
  async completeUpload(repo: string, project: ProjectRef, id: string, digest: string, body?: UploadBody, operator: Operator = 'system'): Promise<number> {
    const parsed = requireDigest(digest);
    const upload = session(repo, id);
    const appended = body ? await this.uploads.append(upload, body.stream, body.start, body.length) : undefined;
    await this.quotas.precheck(project, { repository: repo, digest }, async () => appended ?? (await this.uploadStatus(repo, id)), operator);
    const size = await this.uploads.complete(upload, parsed);
    await this.linkCharged(repo, project, digest, size, operator);
    return size;
  }

  /** A whole blob in one POST: streamed to a private upload file, verified, then published. */
  async putMonolithic(repo: string, project: ProjectRef, digest: string, body: UploadBody, operator: Operator = 'system'): Promise<number> {
    const parsed = requireDigest(digest);
    const subject = { repository: repo, digest };
    // With a Content-Length the quota is checked before a byte is read.
    if (body.length !== undefined) await this.quotas.precheck(project, subject, () => body.length!, operator);
    const upload = { id: newUploadId() };
    await this.uploads.create(upload);
    try {
      const appended = await this.uploads.append(upload, body.stream, body.start, body.length);
      if (body.length === undefined) await this.quotas.precheck(project, subject, () => appended, operator);
      const size = await this.uploads.complete(upload, parsed);
      await this.linkCharged(repo, project, digest, size, operator);
      return size;
    } finally {
      await this.uploads.remove(upload).catch((err: unknown) => this.log.warn({ err, upload: upload.id }, 'upload cleanup failed'));
    }
  }

  async cancelUpload(repo: string, id: string): Promise<void> {
    const upload = session(repo, id);
    if ((await this.uploads.size(upload)) === null) throw new BerthError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    await this.uploads.remove(upload);
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The upload session `id` of `repo`. Ids are UUIDs Berth made; anything else is unknown before it gets near
 * storage. A session started in another repository has another file name, so it is unknown here too.
 */
function session(repo: string, id: string): UploadRef {
  if (!uuidPattern.test(id)) throw new BerthError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id.slice(0, 100) });
  return { id, repository: repo };
}
