import type { FileAnalyzer, InstalledPackage } from '../package.ts';

const installedPath = 'lib/apk/db/installed';

/** Builds a package from one record's letter-keyed fields, or nothing when it lacks a name or version. */
function toPackage(fields: Map<string, string>, path: string): InstalledPackage | undefined {
  const name = fields.get('P');
  const version = fields.get('V');
  if (!name || !version) return undefined;
  const pkg: InstalledPackage = { ecosystem: 'Alpine', name, version, path };
  const origin = fields.get('o');
  if (origin) {
    // An origin is an APKBUILD, and the package's version is the APKBUILD's: secdb names origins.
    pkg.sourceName = origin;
    pkg.sourceVersion = version;
  }
  const arch = fields.get('A');
  if (arch) pkg.arch = arch;
  const license = fields.get('L');
  if (license) {
    // apk writes SPDX expressions loosely (`MIT AND BSD-2-Clause`, `GPL-2.0-only LGPL-2.1`): keep the identifiers.
    const ids = license
      .split(/\s+/)
      .map((t) => t.replace(/^\(+|\)+$/g, ''))
      .filter((t) => t !== '' && !/^(AND|OR|WITH)$/i.test(t));
    if (ids.length > 0) pkg.licenses = ids;
  }
  return pkg;
}

/** apk's installed database, `lib/apk/db/installed`: records of `X:value` lines separated by blank lines. */
export const apkAnalyzer: FileAnalyzer = {
  id: 'apk',
  maxBytes: 64 * 1024 * 1024,
  wants(path) {
    return path === installedPath;
  },
  parse(path, content) {
    const packages: InstalledPackage[] = [];
    let fields = new Map<string, string>();
    const flush = (): void => {
      const pkg = toPackage(fields, path);
      if (pkg) packages.push(pkg);
      fields = new Map();
    };
    for (const raw of content.toString('utf8').split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        flush();
        continue;
      }
      // Every line is one letter, a colon, then the value; anything else is not apk's and is ignored.
      if (line.length < 2 || line[1] !== ':') continue;
      const key = line[0]!;
      // Per-file lines (F:, R:, Z:, a:, M:) repeat; only the package-level fields, which come first, matter.
      if (!fields.has(key)) fields.set(key, line.slice(2));
    }
    flush();
    return packages;
  },
};
