import path from 'node:path';
import type { FileAnalyzer, InstalledPackage, OsRelease } from './package.ts';
import { applyLayer, type FilesystemFindings, type LayerStats } from './layer-apply.ts';
import { decompressLayer } from './decompress.ts';
import { LayerFormatError } from './tar-walk.ts';
import { osReleasePaths } from './analyzers/os-release.ts';

/** One layer of an image, opened on demand (layers are read one after another, never at once). */
export interface LayerSource {
  digest: string;
  mediaType: string;
  size: number;
  open(): Promise<AsyncIterable<Buffer>>;
}

export interface ImageInventory {
  os?: OsRelease;
  packages: InstalledPackage[];
  layers: Array<{ digest: string; entries: number; filesRead: number }>;
  warnings: string[];
}

export interface InventoryOptions {
  /** The most a layer may decompress to. */
  maxLayerBytes: number;
  /** Called every so often; throws to abandon the scan (a stop request, a shutdown). */
  checkpoint?: () => void;
}

/** Media types of layers that hold a filesystem; other blobs (an SBOM, a signature, a chart) are not walked. */
const filesystemLayer = (mediaType: string): boolean =>
  /^application\/vnd\.(oci\.image\.layer\.v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)/.test(mediaType) || mediaType === 'application/x-tar';

/**
 * The packages an image's final filesystem holds: its layers applied in order with whiteouts honoured, so a
 * package that a later layer deletes is not reported, and one a later layer replaces is reported as replaced.
 */
export async function imageInventory(layers: LayerSource[], analyzers: readonly FileAnalyzer[], options: InventoryOptions): Promise<ImageInventory> {
  const state: FilesystemFindings = new Map();
  const out: ImageInventory = { packages: [], layers: [], warnings: [] };
  for (const [i, layer] of layers.entries()) {
    if (!filesystemLayer(layer.mediaType)) continue;
    let stats: LayerStats;
    try {
      const tar = decompressLayer(await layer.open(), options.maxLayerBytes);
      stats = await applyLayer(state, tar, analyzers, options.checkpoint);
    } catch (err) {
      if (err instanceof LayerFormatError) throw new LayerFormatError(`layer ${i + 1} (${layer.digest.slice(0, 19)}): ${err.message}`);
      throw err;
    }
    out.layers.push({ digest: layer.digest, entries: stats.entries, filesRead: stats.filesRead });
    out.warnings.push(...stats.warnings);
  }
  for (const p of osReleasePaths) {
    const found = state.get(p);
    if (found?.kind === 'os') {
      out.os = found.os;
      break;
    }
  }
  out.packages = finalPackages(state, out.os);
  return out;
}

/**
 * Everything the findings record, once: an npm lock file counts only where no `node_modules` of its project is
 * installed (what is installed wins over what was declared), and dpkg packages on Ubuntu are Ubuntu's.
 */
function finalPackages(state: FilesystemFindings, os: OsRelease | undefined): InstalledPackage[] {
  const installedRoots = new Set<string>();
  for (const p of state.keys()) {
    const at = p.indexOf('node_modules/');
    if (at >= 0) installedRoots.add(p.slice(0, at));
  }
  const seen = new Set<string>();
  const out: InstalledPackage[] = [];
  for (const [p, finding] of [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (finding.kind !== 'packages') continue;
    if (path.posix.basename(p) === 'package-lock.json') {
      const dir = path.posix.dirname(p) === '.' ? '' : `${path.posix.dirname(p)}/`;
      if (installedRoots.has(dir)) continue;
    }
    for (const pkg of finding.packages) {
      const ecosystem = pkg.ecosystem === 'Debian' && os?.id === 'ubuntu' ? 'Ubuntu' : pkg.ecosystem;
      const key = `${ecosystem}\0${pkg.name}\0${pkg.version}\0${pkg.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...pkg, ecosystem });
    }
  }
  return out;
}
