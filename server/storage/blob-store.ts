import type { Readable } from 'node:stream';
import { requireDigest, type ParsedDigest } from '../core/digest.ts';
import { BerthError } from '../core/errors.ts';
import type { RandomAccessFile, StorageDriver } from './driver.ts';
import { paths } from './paths.ts';

/**
 * Content-addressed blob bytes: one copy per digest, whichever repositories link it. Which repository may see
 * a blob is metadata (the database), not storage.
 */
export class BlobStore {
  constructor(readonly driver: StorageDriver) {}

  /** Size of a stored blob, or null. */
  async size(digest: string): Promise<number | null> {
    const s = await this.driver.stat(paths.blob(requireDigest(digest)));
    return s && !s.isDirectory ? s.size : null;
  }

  /** Streams a blob or a byte range of it. */
  async open(digest: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      return await this.driver.reader(paths.blob(requireDigest(digest)), range);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  /** A positional reader over the blob when the driver supports it (undefined otherwise: use `open`). */
  async openRandomAccess(digest: string): Promise<RandomAccessFile | undefined> {
    if (!this.driver.openRandomAccess) return undefined;
    try {
      return await this.driver.openRandomAccess(paths.blob(requireDigest(digest)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await this.driver.getContent(paths.blob(requireDigest(digest)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  /**
   * Makes a verified upload file the blob for `digest`. The rename is atomic, so a reader sees the whole blob or
   * nothing; when the blob is already stored the upload is simply dropped (the bytes are identical by digest).
   */
  async commit(uploadDataPath: string, digest: ParsedDigest, size: number): Promise<void> {
    const target = paths.blob(digest);
    const existing = await this.driver.stat(target);
    if (existing && existing.size === size) return;
    await this.driver.move(uploadDataPath, target);
  }

  async delete(digest: string): Promise<void> {
    await this.driver.delete(paths.blob(requireDigest(digest)));
  }
}
