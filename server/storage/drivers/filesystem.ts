import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { checkPath, type RandomAccessFile, type ReadOptions, type StorageDriver, type StorageStat } from '../driver.ts';

/**
 * Stores objects as files under one root folder.
 *
 * Bulk data moves through streams and positional reads with large buffers (Node's default 64 KiB halves pull
 * throughput). Quick metadata operations (stat, rename, unlink, opening an existing file) use synchronous system
 * calls on purpose: on a local disk they take microseconds, while handing each one to libuv's thread pool and
 * back cost several times more CPU than the call itself (measured while pushing small images: a quarter of the
 * server's CPU went to that hand-off). Creating a file is slow on ext4, so that one stays asynchronous.
 *
 * Nothing is fsynced: a killed process loses nothing (the kernel holds the written pages), but a power cut can
 * lose the most recent writes, as with CNCF Distribution's filesystem driver.
 */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';

  constructor(
    private readonly root: string,
    private readonly readBufferBytes = 4 * 1024 * 1024,
  ) {}

  private resolve(path: string): string {
    return join(this.root, ...checkPath(path));
  }

  async stat(path: string): Promise<StorageStat | null> {
    try {
      const s = statSync(this.resolve(path), { throwIfNoEntry: false });
      return s ? { size: s.size, modifiedAt: s.mtime, isDirectory: s.isDirectory() } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    // Open first so a missing file rejects here rather than as a stream error after headers went out.
    const fd = openSync(this.resolve(path), 'r');
    return createReadStream('', { fd, start: options.start, end: options.end, highWaterMark: this.readBufferBytes });
  }

  async openRandomAccess(path: string): Promise<RandomAccessFile> {
    const handle = await open(this.resolve(path), 'r');
    return {
      read: async (buffer, length, position) => (await handle.read(buffer, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<Writable> {
    const file = this.resolve(path);
    const fd = inParent(file, () => openSync(file, options.append ? 'a' : 'w'));
    return createWriteStream('', { fd, highWaterMark: 4 * 1024 * 1024 });
  }

  async truncate(path: string, size: number): Promise<void> {
    truncateSync(this.resolve(path), size);
  }

  async getContent(path: string): Promise<Buffer> {
    return readFileSync(this.resolve(path));
  }

  async putContent(path: string, data: Buffer): Promise<void> {
    const file = this.resolve(path);
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    // Creating a file is the one slow metadata operation (hundreds of microseconds on ext4 here), so it goes to
    // the thread pool, where several can run at once without holding up the event loop.
    const handle = await inParentAsync(tmp, () => open(tmp, 'w'));
    try {
      // An empty file (a new upload session) needs no write call: creating it is the whole job.
      if (data.length > 0) await handle.writeFile(data);
    } catch (err) {
      await handle.close();
      rmSync(tmp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.resolve(from);
    const target = this.resolve(to);
    inParent(target, () => renameSync(source, target));
  }

  async delete(path: string): Promise<void> {
    rmSync(this.resolve(path), { recursive: true, force: true });
  }

  async list(path: string): Promise<string[]> {
    try {
      return readdirSync(this.resolve(path)).sort();
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }
}

/**
 * Runs a file operation, creating the parent folder only if the operation reports it missing: most writes go to
 * folders that exist, and an unconditional mkdir is a wasted system call on every blob.
 */
function inParent<T>(file: string, operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(file), { recursive: true });
    return operation();
  }
}

async function inParentAsync<T>(file: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(file), { recursive: true });
    return operation();
  }
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';
