import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ClientError } from '../errors.ts';

interface Entry {
  offset: number;
  size: number;
}

const block = 512;

function octal(buf: Buffer, start: number, length: number): number {
  const field = buf.subarray(start, start + length);
  // GNU base-256 for sizes over 8 GiB: the top bit of the first byte is set.
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

const cString = (buf: Buffer, start: number, length: number): string => buf.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');

/** The `path` of a PAX extended header, if it has one. */
function paxPath(data: Buffer): string | undefined {
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1);
    i += len;
  }
  return undefined;
}

/** Normalised entry names (`./blobs/x` and `blobs/x` are the same file). */
const normal = (name: string): string => path.posix.normalize(name.replace(/^\.?\//, '')).replace(/^\/+/, '');

/**
 * An index of a tar archive's regular files (name to offset and size), read by walking its headers and seeking past
 * the contents, so a multi-gigabyte archive is indexed in a few reads and an entry is streamed straight from its
 * range of the file. ustar, PAX `path` records and GNU long names are understood.
 */
export class TarIndex {
  private constructor(
    readonly file: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  static async open(file: string): Promise<TarIndex> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      throw new ClientError('invalid', `cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      const { size: total } = await fh.stat();
      const entries = new Map<string, Entry>();
      const header = Buffer.alloc(block);
      let offset = 0;
      let longName: string | undefined;
      while (offset + block <= total) {
        await fh.read(header, 0, block, offset);
        if (header.every((b) => b === 0)) break;
        const checksum = octal(header, 148, 8);
        let sum = 0;
        for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
        if (sum !== checksum) throw new ClientError('invalid', `${file} is not a tar archive (bad header checksum at byte ${offset})`);
        const size = octal(header, 124, 12);
        const type = String.fromCharCode(header[156]!);
        const data = offset + block;
        if (data + size > total) throw new ClientError('invalid', `${file} is truncated (an entry runs past the end)`);
        if (type === 'x' || type === 'L') {
          const buf = Buffer.alloc(Math.min(size, 1 << 20));
          await fh.read(buf, 0, buf.length, data);
          longName = type === 'L' ? cString(buf, 0, buf.length) : (paxPath(buf) ?? longName);
        } else {
          const prefix = header.subarray(257, 263).toString('ascii').startsWith('ustar') ? cString(header, 345, 155) : '';
          const name = longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
          longName = undefined;
          if (type === '0' || type === '\0' || type === '7') entries.set(normal(name), { offset: data, size });
        }
        offset = data + Math.ceil(size / block) * block;
      }
      return new TarIndex(file, entries);
    } finally {
      await fh.close();
    }
  }

  has(name: string): boolean {
    return this.entries.has(normal(name));
  }

  size(name: string): number | undefined {
    return this.entries.get(normal(name))?.size;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  open(name: string): Readable {
    const e = this.entries.get(normal(name));
    if (!e) throw new ClientError('invalid', `${this.file} has no ${name}`);
    if (e.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: e.offset, end: e.offset + e.size - 1 });
  }

  async read(name: string, limit = 16 << 20): Promise<Buffer> {
    const size = this.size(name);
    if (size === undefined) throw new ClientError('invalid', `${this.file} has no ${name}`);
    if (size > limit) throw new ClientError('invalid', `${name} in ${this.file} is ${size} bytes; more than a manifest or config may be`);
    const chunks: Buffer[] = [];
    for await (const c of this.open(name)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}
