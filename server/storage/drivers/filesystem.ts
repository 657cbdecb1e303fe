import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { checkPath, type RandomAccessFile, type ReadOptions, type StorageDriver, type StorageStat } from '../driver.ts';

/**
 * Stores objects as files under one root folder. Reads use large buffers: Node's default 64 KiB halves the
 * throughput of a blob pull on this class of machine.
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
      const s = await stat(this.resolve(path));
      return { size: s.size, modifiedAt: s.mtime, isDirectory: s.isDirectory() };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    // Open first so a missing file rejects here rather than as a stream error after headers went out.
    const handle = await open(this.resolve(path), 'r');
    return createReadStream('', {
      fd: handle,
      start: options.start,
      end: options.end,
      highWaterMark: this.readBufferBytes,
    });
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
    const handle = await inParent(file, () => open(file, options.append ? 'a' : 'w'));
    return createWriteStream('', { fd: handle, highWaterMark: 4 * 1024 * 1024 });
  }

  async truncate(path: string, size: number): Promise<void> {
    await truncate(this.resolve(path), size);
  }

  async getContent(path: string): Promise<Buffer> {
    return readFile(this.resolve(path));
  }

  async putContent(path: string, data: Buffer): Promise<void> {
    const file = this.resolve(path);
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    const handle = await inParent(tmp, () => open(tmp, 'w'));
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.resolve(from);
    const target = this.resolve(to);
    await inParent(target, () => rename(source, target));
  }

  async delete(path: string): Promise<void> {
    await rm(this.resolve(path), { recursive: true, force: true });
  }

  async list(path: string): Promise<string[]> {
    try {
      return (await readdir(this.resolve(path))).sort();
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
async function inParent<T>(file: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(file), { recursive: true });
    return operation();
  }
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';
