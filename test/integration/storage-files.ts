import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { paths } from '../../server/storage/paths.ts';

/** Every file below `dir`, recursively (none when it does not exist). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

/** Files under <dataDir>/storage/blobs whose name carries the digest's hex (the blob or a temporary beside it). */
export async function blobFilesOf(dataDir: string, digest: string): Promise<string[]> {
  const hex = digest.slice(digest.indexOf(':') + 1);
  return (await listFiles(path.join(dataDir, 'storage', 'blobs'))).filter((f) => path.basename(f).includes(hex));
}

/** The data file of an upload (a session of `repository`, or a private monolithic one), wherever the layout puts it. */
export const uploadDataFile = (dataDir: string, id: string, repository?: string): string =>
  path.join(dataDir, 'storage', paths.uploadData({ id, repository }));

/** Ids of the upload sessions (or leftovers) present in storage. */
export async function uploadIds(dataDir: string): Promise<string[]> {
  const files = await listFiles(path.join(dataDir, 'storage', paths.uploadsRoot));
  // File names start with the upload id (then the owner's tag or a temporary suffix).
  return [...new Set(files.map((f) => path.basename(f).split('.')[0]!))];
}
