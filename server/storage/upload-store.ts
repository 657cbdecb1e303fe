import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Hash } from 'node:crypto';
import { newHash, type DigestAlgorithm, type ParsedDigest } from '../core/digest.ts';
import { BerthError } from '../core/errors.ts';
import type { BlobStore } from './blob-store.ts';
import type { StorageDriver } from './driver.ts';
import { paths, type UploadRef } from './paths.ts';

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

/**
 * Upload sessions live in storage, not in the database: one source of truth that cannot disagree with the
 * bytes after a crash, that every node sharing the storage sees, and that costs no database write per blob.
 * Each upload is one file that grows chunk by chunk (its name says which repository owns it, see paths.ts). The running hash is kept in memory between
 * requests so a blob is hashed once; when that state is gone (restart, another node served the previous chunk)
 * it is rebuilt by re-reading the file. A chunk is all or nothing: a failed or short chunk is cut off again.
 */
export class UploadStore {
  /** Keyed by the upload's storage path. */
  private readonly states = new Map<string, HashState>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
  ) {}

  /** Starts an upload with an empty file. */
  async create(upload: UploadRef): Promise<void> {
    const path = paths.uploadData(upload);
    try {
      await this.driver.putContent(path, Buffer.alloc(0));
    } catch (err) {
      throw storageFailure(err);
    }
    this.states.set(path, { algorithm: 'sha256', hash: newHash('sha256'), offset: 0 });
  }

  /** Current size of the upload, or null when there is no such upload (for that repository). */
  async size(upload: UploadRef): Promise<number | null> {
    const s = await this.driver.stat(paths.uploadData(upload));
    return s && !s.isDirectory ? s.size : null;
  }

  /**
   * Appends a request body. `start` is the offset the client claims (Content-Range); `length` the size it
   * declared (Content-Length). Returns the new size.
   */
  async append(upload: UploadRef, body: Readable, start?: number, length?: number): Promise<number> {
    const path = paths.uploadData(upload);
    if (this.busy.has(path)) throw this.rangeError(upload, await this.requireSize(upload), 'another chunk of this upload is in flight');
    this.busy.add(path);
    try {
      return await this.appendLocked(upload, path, body, start, length);
    } finally {
      this.busy.delete(path);
    }
  }

  private async appendLocked(upload: UploadRef, path: string, body: Readable, start?: number, length?: number): Promise<number> {
    const size = await this.requireSize(upload);
    if (start !== undefined && start !== size) throw this.rangeError(upload, size, `chunk starts at ${start}, upload has ${size} bytes`);
    const state = await this.stateFor(path, 'sha256', size);
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
    let out: Writable | undefined;
    try {
      out = await this.driver.writer(path, { append: true });
      await pipeline(body, hashing, out);
      if (length !== undefined && count !== length) {
        throw new BerthError('SIZE_INVALID', `received ${count} bytes, Content-Length declared ${length}`);
      }
    } catch (err) {
      // Undo the partial chunk so the file and the hash state agree with what the client was told. A write
      // already handed to the operating system may still land, so wait for the file to be closed first.
      if (out && !out.closed) await new Promise((resolve) => out!.once('close', resolve));
      await this.driver.truncate(path, size).catch(() => this.states.delete(path));
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
  async complete(upload: UploadRef, digest: ParsedDigest): Promise<number> {
    const path = paths.uploadData(upload);
    const size = await this.requireSize(upload);
    const state = await this.stateFor(path, digest.algorithm, size);
    const actual = state.hash.digest('hex');
    this.states.delete(path);
    if (actual !== digest.hex) {
      await this.remove(upload);
      throw new BerthError('DIGEST_INVALID', `upload digest is ${digest.algorithm}:${actual}, not ${digest.algorithm}:${digest.hex}`);
    }
    try {
      await this.blobs.commit(path, digest, size);
    } catch (err) {
      throw storageFailure(err);
    }
    await this.remove(upload);
    return size;
  }

  async remove(upload: UploadRef): Promise<void> {
    const path = paths.uploadData(upload);
    this.states.delete(path);
    await this.driver.delete(path);
  }

  /**
   * Removes every upload idle since before `cutoff`, and temporary files a crash left behind. Returns the count.
   */
  async expire(cutoff: Date): Promise<number> {
    let removed = 0;
    for (const folder of await this.driver.list(paths.uploadsRoot)) {
      for (const file of await this.driver.list(`${paths.uploadsRoot}/${folder}`)) {
        const path = `${paths.uploadsRoot}/${folder}/${file}`;
        const stat = await this.driver.stat(path);
        if (!stat || stat.modifiedAt.getTime() >= cutoff.getTime()) continue;
        this.states.delete(path);
        await this.driver.delete(path);
        removed++;
      }
    }
    return removed;
  }

  private async requireSize(upload: UploadRef): Promise<number> {
    const size = await this.size(upload);
    if (size === null) throw new BerthError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: upload.id });
    return size;
  }

  private rangeError(upload: UploadRef, size: number, message: string): BerthError {
    return new BerthError('RANGE_INVALID', message, { uuid: upload.id }, { Range: `0-${Math.max(size - 1, 0)}`, 'Docker-Upload-UUID': upload.id });
  }

  /** The hash state matching the file, rebuilt from storage when missing, stale or of another algorithm. */
  private async stateFor(path: string, algorithm: DigestAlgorithm, size: number): Promise<HashState> {
    const known = this.states.get(path);
    if (known && known.algorithm === algorithm && known.offset === size) return known;
    const hash = newHash(algorithm);
    if (size > 0) {
      const input = await this.driver.reader(path, { end: size - 1 });
      for await (const chunk of input) hash.update(chunk as Buffer);
    }
    const state = { algorithm, hash, offset: size };
    this.states.set(path, state);
    return state;
  }
}
