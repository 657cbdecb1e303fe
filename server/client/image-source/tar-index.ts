import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ClientError } from '../errors.ts';
import { cString, isZeroBlock, parsePaxRecords, parseTarHeader, tarBlock as block, TarFormatError } from '../../core/tar-header.ts';

interface Entry {
  offset: number;
  size: number;
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
        if (isZeroBlock(header)) break;
        let parsed;
        try {
          parsed = parseTarHeader(header);
        } catch (err) {
          if (err instanceof TarFormatError) throw new ClientError('invalid', `${file} is not a tar archive (${err.message} at byte ${offset})`);
          throw err;
        }
        const { size, type } = parsed;
        const data = offset + block;
        if (data + size > total) throw new ClientError('invalid', `${file} is truncated (an entry runs past the end)`);
        if (type === 'pax' || type === 'gnu-longname') {
          const buf = Buffer.alloc(Math.min(size, 1 << 20));
          await fh.read(buf, 0, buf.length, data);
          longName = type === 'gnu-longname' ? cString(buf, 0, buf.length) : (parsePaxRecords(buf).get('path') ?? longName);
        } else {
          const name = longName ?? parsed.name;
          longName = undefined;
          if (type === 'file') entries.set(normal(name), { offset: data, size });
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
