import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Hash } from 'node:crypto';
import { newHash, type DigestAlgorithm, type ParsedDigest } from '../core/digest.ts';
import { BerthError } from '../core/errors.ts';
import type { BlobStore } from './blob-store.ts';
import type { StorageDriver } from './driver.ts';
import { paths } from './paths.ts';

interface HashState {
  algorithm: DigestAlgorithm;
  hash: Hash;
  /** Bytes the hash has consumed; equals the file size whenever no write is in flight. */
  offset: number;
}

/** Maps storage failures a client cannot fix to a clear error instead of a 500 with a stack. */
export function storageFailure(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new BerthError('STORAGE_FULL', 'the registry storage is full');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new BerthError('STORAGE_FULL', 'the registry storage is not writable');
  }
  return err;
}

/** Who an upload session belongs to; stored next to its bytes. */
export interface UploadOwner {
  repository: string;
  projectId: number;
  startedAt: string;
}

/**
 * Upload sessions live in storage, beside their bytes, not in the database: one source of truth that cannot
 * disagree with the file after a crash, that every node sharing the storage sees, and that costs no database
 * write per blob. Each upload is a folder with `info` (owner) and `data`, a file that grows chunk by chunk. The running hash is kept in memory between
 * requests so a blob is hashed once; when that state is gone (restart, another node served the previous chunk)
 * it is rebuilt by re-reading the file. A chunk is all or nothing: a failed or short chunk is cut off again.
 */
export class UploadStore {
  private readonly states = new Map<string, HashState>();
  private readonly owners = new Map<string, UploadOwner>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Starts an upload. With an owner the session is recorded for later requests; without one it is a private
   * upload finished within the same request (monolithic POST).
   */
  async create(id: string, owner?: Omit<UploadOwner, 'startedAt'>): Promise<void> {
    try {
      if (owner) {
        const info: UploadOwner = { ...owner, startedAt: new Date().toISOString() };
        await this.driver.putContent(paths.uploadInfo(id), Buffer.from(JSON.stringify(info)));
        this.owners.set(id, info);
      } else {
        await this.driver.putContent(paths.uploadData(id), Buffer.alloc(0));
      }
    } catch (err) {
      throw storageFailure(err);
    }
    this.states.set(id, { algorithm: 'sha256', hash: newHash('sha256'), offset: 0 });
  }

  /** The owner of an upload session, or null when there is no such session. */
  async owner(id: string): Promise<UploadOwner | null> {
    const known = this.owners.get(id);
    if (known) return known;
    try {
      const info = JSON.parse((await this.driver.getContent(paths.uploadInfo(id))).toString('utf8')) as UploadOwner;
      this.owners.set(id, info);
      return info;
    } catch {
      return null;
    }
  }

  /** Current size of the upload, or null when it does not exist in storage. */
  async size(id: string): Promise<number | null> {
    const s = await this.driver.stat(paths.uploadData(id));
    if (s) return s.size;
    // A session whose first chunk has not arrived yet has its info but no data file.
    return (await this.driver.stat(paths.uploadInfo(id))) ? 0 : null;
  }

  /**
   * Appends a request body. `start` is the offset the client claims (Content-Range); `length` the size it
   * declared (Content-Length). Returns the new size.
   */
  async append(id: string, body: Readable, start?: number, length?: number): Promise<number> {
    if (this.busy.has(id)) throw this.rangeError(id, await this.requireSize(id), 'another chunk of this upload is in flight');
    this.busy.add(id);
    try {
      return await this.appendLocked(id, body, start, length);
    } finally {
      this.busy.delete(id);
    }
  }

  private async appendLocked(id: string, body: Readable, start?: number, length?: number): Promise<number> {
    const size = await this.requireSize(id);
    if (start !== undefined && start !== size) throw this.rangeError(id, size, `chunk starts at ${start}, upload has ${size} bytes`);
    const state = await this.stateFor(id, 'sha256', size);
    const saved = state.hash.copy();
    let count = 0;
    // Large buffers on both sides let socket reads, hashing and file writes overlap instead of stalling at 16 KiB.
    const hashing = new Transform({
      highWaterMark: 4 * 1024 * 1024,
      transform(chunk: Buffer, _enc, done) {
        count += chunk.length;
        state.hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      const out = await this.driver.writer(paths.uploadData(id), { append: true });
      await pipeline(body, hashing, out);
      if (length !== undefined && count !== length) {
        throw new BerthError('SIZE_INVALID', `received ${count} bytes, Content-Length declared ${length}`);
      }
    } catch (err) {
      // Undo the partial chunk so the file and the hash state agree with what the client was told.
      await this.driver.truncate(paths.uploadData(id), size).catch(() => this.states.delete(id));
      state.hash = saved;
      state.offset = size;
      throw storageFailure(err);
    }
    state.offset = size + count;
    return state.offset;
  }

  /**
   * Verifies the upload against `digest` and moves it into the blob store. On a mismatch the upload is discarded
   * (the bytes are useless under any other name) and DIGEST_INVALID is raised.
   */
  async complete(id: string, digest: ParsedDigest): Promise<number> {
    const size = await this.requireSize(id);
    const state = await this.stateFor(id, digest.algorithm, size);
    const actual = state.hash.digest('hex');
    this.states.delete(id);
    if (actual !== digest.hex) {
      await this.remove(id);
      throw new BerthError('DIGEST_INVALID', `upload digest is ${digest.algorithm}:${actual}, not ${digest.algorithm}:${digest.hex}`);
    }
    try {
      if (size === 0 && !(await this.driver.stat(paths.uploadData(id)))) await this.driver.putContent(paths.uploadData(id), Buffer.alloc(0));
      await this.blobs.commit(paths.uploadData(id), digest, size);
    } catch (err) {
      throw storageFailure(err);
    }
    await this.remove(id);
    return size;
  }

  async remove(id: string): Promise<void> {
    this.states.delete(id);
    this.owners.delete(id);
    await this.driver.delete(paths.uploadData(id));
    await this.driver.delete(paths.uploadInfo(id));
  }

  /**
   * Removes every session whose files have all been idle since before `cutoff`, including the temporary files a
   * crash can leave behind. Returns how many sessions went.
   */
  async expire(cutoff: Date): Promise<number> {
    const byId = new Map<string, { files: string[]; last: number }>();
    for (const file of await this.driver.list(paths.uploadsRoot)) {
      const stat = await this.driver.stat(`${paths.uploadsRoot}/${file}`);
      if (!stat) continue;
      const id = paths.uploadIdOf(file);
      const entry = byId.get(id) ?? { files: [], last: 0 };
      entry.files.push(file);
      entry.last = Math.max(entry.last, stat.modifiedAt.getTime());
      byId.set(id, entry);
    }
    let removed = 0;
    for (const [id, entry] of byId) {
      if (entry.last >= cutoff.getTime()) continue;
      this.states.delete(id);
      this.owners.delete(id);
      for (const file of entry.files) await this.driver.delete(`${paths.uploadsRoot}/${file}`);
      removed++;
    }
    return removed;
  }

  private async requireSize(id: string): Promise<number> {
    const size = await this.size(id);
    if (size === null) throw new BerthError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    return size;
  }

  private rangeError(id: string, size: number, message: string): BerthError {
    return new BerthError('RANGE_INVALID', message, { uuid: id }, { Range: `0-${Math.max(size - 1, 0)}`, 'Docker-Upload-UUID': id });
  }

  /** The hash state matching the file, rebuilt from storage when missing, stale or of another algorithm. */
  private async stateFor(id: string, algorithm: DigestAlgorithm, size: number): Promise<HashState> {
    const known = this.states.get(id);
    if (known && known.algorithm === algorithm && known.offset === size) return known;
    const hash = newHash(algorithm);
    if (size > 0) {
      const input = await this.driver.reader(paths.uploadData(id), { end: size - 1 });
      for await (const chunk of input) hash.update(chunk as Buffer);
    }
    const state = { algorithm, hash, offset: size };
    this.states.set(id, state);
    return state;
  }
}
