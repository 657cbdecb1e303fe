import type { Readable, Writable } from 'node:stream';

/** What a driver knows about one stored object. */
export interface StorageStat {
  size: number;
  modifiedAt: Date;
  isDirectory: boolean;
}

export interface ReadOptions {
  /** First byte to read (inclusive). */
  start?: number;
  /** Last byte to read (inclusive). */
  end?: number;
}

/** A file opened for positional reads, for drivers that have random access (local disks). */
export interface RandomAccessFile {
  /** Reads up to `length` bytes at `position` into the start of `buffer`; returns the count (0 at the end). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The byte level under every OCI-aware store. Paths are logical, slash-separated and relative
 * (`blobs/sha256/ab/ab12...`); drivers must refuse paths that would escape their root. Writers of final
 * content go through a temporary path and `move`, so a reader never sees a half-written object.
 * Every driver must pass `runDriverSuite` in driver-suite.ts.
 */
export interface StorageDriver {
  readonly name: string;
  /** Size and type of a path, or null when nothing is there. */
  stat(path: string): Promise<StorageStat | null>;
  /** Streams the bytes of a file (optionally a range); rejects with code ENOENT when missing. */
  reader(path: string, options?: ReadOptions): Promise<Readable>;
  /** A stream that creates the file, or appends to it when `append` is set. Parent folders are created. */
  writer(path: string, options?: { append?: boolean }): Promise<Writable>;
  /** Cuts a file back to `size` bytes (used to undo a failed chunk). */
  truncate(path: string, size: number): Promise<void>;
  /** Reads a small file whole. */
  getContent(path: string): Promise<Buffer>;
  /** Writes a small file atomically (temporary name + rename). */
  putContent(path: string, data: Buffer): Promise<void>;
  /** Renames atomically; replaces the destination when it exists. */
  move(from: string, to: string): Promise<void>;
  /** Removes a file or a folder and everything under it; missing paths are not an error. */
  delete(path: string): Promise<void>;
  /** Names directly under a folder; empty when the folder is missing. */
  list(path: string): Promise<string[]>;
  /**
   * Opens a file for positional reads (optional). Serving blobs through it lets the HTTP layer reuse its read
   * buffers instead of allocating one per chunk, which a stream cannot do.
   */
  openRandomAccess?(path: string): Promise<RandomAccessFile>;
  /** A URL a client may fetch the content from directly (object stores); undefined means serve it ourselves. */
  redirectUrl?(path: string): Promise<string | undefined>;
}

/** Raised by drivers for paths that are not allowed (absolute, `..`, empty segments). */
export class InvalidPathError extends Error {
  override name = 'InvalidPathError';
}

const segmentPattern = /^[A-Za-z0-9._-]+$/;

/** Checks a logical path; every driver calls it before touching its backend. */
export function checkPath(path: string): string[] {
  const segments = path.split('/');
  for (const s of segments) {
    if (!segmentPattern.test(s) || s === '.' || s === '..') throw new InvalidPathError(`invalid storage path: ${path}`);
  }
  return segments;
}
