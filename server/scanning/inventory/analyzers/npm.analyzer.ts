import type { FileAnalyzer, InstalledPackage } from '../package.ts';
import { isObject, npmLicenses } from './npm-licenses.ts';

/**
 * A package's own manifest, directly in its directory under `node_modules` (scoped or not). Names starting
 * with `.` (`.bin`, `.cache`) are npm's bookkeeping, and a bare `@scope/package.json` is not a package.
 */
const installedManifest = /(?:^|\/)node_modules\/(?:@[^/]+\/[^/@.][^/]*|[^/@.][^/]*)\/package\.json$/;
/**
 * A project's lockfile. npm ignores lockfiles shipped inside dependencies (they list the dependency's own
 * dev tree, never installed), and `node_modules/.package-lock.json` duplicates the manifests beside it.
 */
const lockfile = /(?:^|\/)package-lock\.json$/;

function parseJsonObject(path: string, content: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new Error(`${path} is not a JSON object`);
  return parsed;
}

function npmPackage(name: unknown, version: unknown, manifest: Record<string, unknown>, path: string): InstalledPackage | undefined {
  if (typeof name !== 'string' || typeof version !== 'string' || name.trim() === '' || version.trim() === '') return undefined;
  const pkg: InstalledPackage = { ecosystem: 'npm', name: name.trim(), version: version.trim(), path };
  const licenses = npmLicenses(manifest);
  if (licenses) pkg.licenses = licenses;
  return pkg;
}

/** Reads one installed package from its `node_modules/<name>/package.json`. */
export const npmPackageAnalyzer: FileAnalyzer = {
  id: 'npm-package',
  maxBytes: 8 * 1024 * 1024,
  wants(path) {
    return installedManifest.test(path);
  },
  parse(path, content) {
    const manifest = parseJsonObject(path, content);
    const pkg = npmPackage(manifest.name, manifest.version, manifest, path);
    return pkg ? [pkg] : [];
  },
};

/** The name an entry stands for when its version is an alias: `npm:string-width@4.2.3` installs string-width. */
function unalias(name: string, version: string): { name: string; version: string } {
  if (!version.startsWith('npm:')) return { name, version };
  const spec = version.slice(4);
  const at = spec.lastIndexOf('@');
  // `@` at 0 is a scope, not a version separator.
  if (at <= 0) return { name, version };
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** lockfileVersion 1: a `dependencies` tree, each entry possibly nesting its own `dependencies`. */
function fromDependencyTree(tree: Record<string, unknown>, path: string, out: InstalledPackage[]): void {
  for (const [key, entry] of Object.entries(tree)) {
    if (!isObject(entry)) continue;
    if (typeof entry.version === 'string') {
      const { name, version } = unalias(key, entry.version);
      const pkg = npmPackage(name, version, entry, path);
      if (pkg) out.push(pkg);
    }
    if (isObject(entry.dependencies)) fromDependencyTree(entry.dependencies, path, out);
  }
}

/** lockfileVersion 2 and 3: a flat `packages` map keyed by install location (`node_modules/a/node_modules/b`). */
function fromPackagesMap(packages: Record<string, unknown>, path: string, out: InstalledPackage[]): void {
  const marker = 'node_modules/';
  for (const [key, entry] of Object.entries(packages)) {
    // "" is the project itself; keys without node_modules/ are workspace sources, the project's own code.
    const at = key.lastIndexOf(marker);
    if (at === -1 || !isObject(entry) || entry.link === true) continue;
    // `name` is present only when it differs from the location, as for aliases.
    const name = typeof entry.name === 'string' ? entry.name : key.slice(at + marker.length);
    const pkg = npmPackage(name, entry.version, entry, path);
    if (pkg) out.push(pkg);
  }
}

/** Reads the packages a project's `package-lock.json` records (lockfile versions 1, 2 and 3). */
export const npmLockfileAnalyzer: FileAnalyzer = {
  id: 'npm-lockfile',
  maxBytes: 64 * 1024 * 1024,
  wants(path) {
    return lockfile.test(path) && !path.split('/').includes('node_modules');
  },
  parse(path, content) {
    const lock = parseJsonObject(path, content);
    const out: InstalledPackage[] = [];
    // v2 carries both shapes for old npm's sake; `packages` is the complete one.
    if (isObject(lock.packages)) fromPackagesMap(lock.packages, path, out);
    else if (isObject(lock.dependencies)) fromDependencyTree(lock.dependencies, path, out);
    return out;
  },
};
