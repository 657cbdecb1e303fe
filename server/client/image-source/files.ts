import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ClientError } from '../errors.ts';
import { TarIndex } from './tar-index.ts';

/** Read access to a tree of files, from a directory or a tar archive, by relative path. */
export interface FileTree {
  readonly label: string;
  has(name: string): Promise<boolean>;
  read(name: string): Promise<Buffer>;
  open(name: string): Readable;
}

/** A directory; names that would leave it are refused. */
export function directoryTree(dir: string): FileTree {
  const root = path.resolve(dir);
  const resolve = (name: string): string => {
    const full = path.resolve(root, name);
    if (full !== root && !full.startsWith(root + path.sep)) throw new ClientError('invalid', `${name} points outside ${dir}`);
    return full;
  };
  return {
    label: dir,
    has: async (name) => stat(resolve(name)).then((s) => s.isFile(), () => false),
    read: async (name) => {
      const full = resolve(name);
      const s = await stat(full).catch(() => undefined);
      if (!s?.isFile()) throw new ClientError('invalid', `${dir} has no ${name}`);
      if (s.size > 16 << 20) throw new ClientError('invalid', `${name} in ${dir} is ${s.size} bytes; more than a manifest or config may be`);
      return readFile(full);
    },
    open: (name) => createReadStream(resolve(name)),
  };
}

export async function tarTree(file: string): Promise<FileTree & { names(): string[] }> {
  const index = await TarIndex.open(file);
  return {
    label: file,
    has: async (name) => index.has(name),
    read: (name) => index.read(name),
    open: (name) => index.open(name),
    names: () => index.names(),
  };
}
