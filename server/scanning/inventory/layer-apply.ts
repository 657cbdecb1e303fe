import path from 'node:path';
import type { FileAnalyzer, InstalledPackage, OsRelease } from './package.ts';
import { LayerFormatError, walkTar } from './tar-walk.ts';
import { parseOsRelease, osReleasePaths } from './analyzers/os-release.ts';

/** What one file of the final filesystem contributes: packages, or the OS identity. */
export type FileFinding = { kind: 'packages'; packages: InstalledPackage[] } | { kind: 'os'; os: OsRelease };

/** The findings of the filesystem built so far, by path; layers are applied to it in order. */
export type FilesystemFindings = Map<string, FileFinding>;

export interface LayerStats {
  entries: number;
  filesRead: number;
  bytesRead: number;
  /** Files an analyzer wanted but that were over its size limit, or that it could not parse. */
  warnings: string[];
}

/**
 * A tar entry's path inside the image: leading `./` and `/` dropped, `a/./b` and `a/x/../b` collapsed. A path that
 * climbs out of the root (`../etc/passwd`, `a/../../x`) is refused: a layer holding one is hostile or broken.
 */
export function entryPath(name: string): string {
  const trimmed = name.replace(/^(\.\/|\/)+/, '');
  if (trimmed === '' || trimmed === '.') return '';
  const normal = path.posix.normalize(trimmed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) throw new LayerFormatError(`the entry "${name.slice(0, 200)}" escapes the image root`);
  if (normal.includes('\0')) throw new LayerFormatError('an entry name holds a NUL byte');
  return normal === '.' ? '' : normal;
}

function removeTree(state: FilesystemFindings, dir: string, keep: Set<string>, self: boolean): void {
  const prefix = dir === '' ? '' : `${dir}/`;
  for (const key of state.keys()) {
    if (keep.has(key)) continue;
    if ((self && key === dir) || key.startsWith(prefix)) state.delete(key);
  }
}

/**
 * Applies one layer to the findings of the layers below it, streaming: OCI whiteouts (`.wh.<name>` removes a
 * path and everything under it, `.wh..wh..opq` empties a directory of what lower layers put there), files that
 * replace lower ones, and new files that an analyzer wants, read whole (up to its limit) and parsed at once.
 * Nothing is written to disk; only wanted files are ever held in memory, one at a time.
 */
export async function applyLayer(
  state: FilesystemFindings,
  tar: AsyncIterable<Buffer>,
  analyzers: readonly FileAnalyzer[],
  checkpoint?: () => void,
): Promise<LayerStats> {
  const stats: LayerStats = { entries: 0, filesRead: 0, bytesRead: 0, warnings: [] };
  const addedHere = new Set<string>();
  for await (const entry of walkTar(tar)) {
    stats.entries++;
    if ((stats.entries & 1023) === 0) checkpoint?.();
    const p = entryPath(entry.name);
    if (p === '') continue;
    const base = path.posix.basename(p);
    const dir = path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p);
    if (base.startsWith('.wh.')) {
      if (base === '.wh..wh..opq') removeTree(state, dir, addedHere, false);
      else removeTree(state, dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`, addedHere, true);
      continue;
    }
    if (entry.type === 'directory') continue;
    // A file, link or device replaces whatever a lower layer had at this path.
    if (state.has(p) && !addedHere.has(p)) state.delete(p);
    if (entry.type === 'hardlink') {
      const target = state.get(entryPath(entry.linkName));
      if (target) {
        state.set(p, target.kind === 'packages' ? { kind: 'packages', packages: target.packages.map((pkg) => ({ ...pkg, path: p })) } : target);
        addedHere.add(p);
      }
      continue;
    }
    if (entry.type !== 'file') continue;
    if (osReleasePaths.includes(p)) {
      if (entry.size <= 64 * 1024) {
        state.set(p, { kind: 'os', os: parseOsRelease(await entry.read()) });
        addedHere.add(p);
      }
      continue;
    }
    const info = { executable: (entry.mode & 0o111) !== 0, size: entry.size };
    const wanting = analyzers.filter((a) => a.wants(p, info));
    if (wanting.length === 0) continue;
    const fitting = wanting.filter((a) => entry.size <= a.maxBytes);
    for (const a of wanting) if (!fitting.includes(a)) stats.warnings.push(`${p}: ${entry.size} bytes is over the ${a.id} analyzer's limit of ${a.maxBytes}`);
    if (fitting.length === 0) continue;
    const content = await entry.read();
    stats.filesRead++;
    stats.bytesRead += content.length;
    const packages: InstalledPackage[] = [];
    for (const a of fitting) {
      try {
        packages.push(...a.parse(p, content));
      } catch (err) {
        stats.warnings.push(`${p}: ${a.id}: ${(err as Error).message}`.slice(0, 300));
      }
    }
    if (packages.length) {
      state.set(p, { kind: 'packages', packages });
      addedHere.add(p);
    }
  }
  return stats;
}
