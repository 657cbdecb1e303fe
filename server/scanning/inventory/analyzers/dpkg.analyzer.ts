import type { FileAnalyzer, InstalledPackage } from '../package.ts';
import { field, parseStanzas } from './stanzas.ts';

const statusPath = 'var/lib/dpkg/status';
const statusDir = 'var/lib/dpkg/status.d/';

/**
 * `Source: name (version)` names a source package whose version differs from the binary's (binNMUs,
 * packages built from another source version); plain `Source: name` shares the binary's version.
 */
function sourceOf(source: string | undefined, pkg: string, version: string): { sourceName: string; sourceVersion: string } {
  if (!source) return { sourceName: pkg, sourceVersion: version };
  const m = /^(\S+)\s*\(([^)]+)\)\s*$/.exec(source);
  if (m) return { sourceName: m[1]!, sourceVersion: m[2]!.trim() };
  return { sourceName: source.trim(), sourceVersion: version };
}

/**
 * dpkg's database: `var/lib/dpkg/status`, and distroless images' one-file-per-package `status.d/` directory
 * (whose records carry no `Status` field, since only installed packages are written there).
 */
export const dpkgAnalyzer: FileAnalyzer = {
  id: 'dpkg',
  maxBytes: 64 * 1024 * 1024,
  wants(path) {
    if (path === statusPath) return true;
    if (!path.startsWith(statusDir)) return false;
    const name = path.slice(statusDir.length);
    // Distroless also ships `<pkg>.md5sums` beside each record; those are not stanzas.
    return name !== '' && !name.includes('/') && !name.endsWith('.md5sums');
  },
  parse(path, content) {
    const fromStatusFile = path === statusPath;
    const packages: InstalledPackage[] = [];
    for (const record of parseStanzas(content.toString('utf8'))) {
      const name = field(record, 'Package');
      const version = field(record, 'Version');
      if (!name || !version) continue;
      const status = field(record, 'Status');
      // `deinstall ok config-files` and half-installed packages leave stanzas behind; only installed ones count.
      // The last word, not a suffix match: `not-installed` also ends in "installed".
      if (status !== undefined ? status.split(/\s+/).pop() !== 'installed' : fromStatusFile) continue;
      const pkg: InstalledPackage = { ecosystem: 'Debian', name, version, ...sourceOf(field(record, 'Source'), name, version), path };
      const arch = field(record, 'Architecture');
      if (arch) pkg.arch = arch;
      packages.push(pkg);
    }
    return packages;
  },
};
