import type { InstalledPackage, OsRelease } from '../inventory/package.ts';

const enc = (s: string): string => encodeURIComponent(s).replace(/%3A/g, ':');

/** The package URL (purl spec) of an installed package, the identifier SBOM consumers match on. */
export function purlOf(pkg: InstalledPackage, os: OsRelease | undefined): string {
  const qualifiers = (q: Record<string, string | undefined>): string => {
    const parts = Object.entries(q)
      .filter((e): e is [string, string] => !!e[1])
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${enc(v)}`);
    return parts.length ? `?${parts.join('&')}` : '';
  };
  const distro = os ? `${os.id}-${os.versionId ?? ''}`.replace(/-$/, '') : undefined;
  switch (pkg.ecosystem) {
    case 'Debian':
    case 'Ubuntu':
      return `pkg:deb/${pkg.ecosystem.toLowerCase()}/${enc(pkg.name)}@${enc(pkg.version)}${qualifiers({ arch: pkg.arch, distro })}`;
    case 'Alpine':
      return `pkg:apk/alpine/${enc(pkg.name)}@${enc(pkg.version)}${qualifiers({ arch: pkg.arch, distro })}`;
    case 'RPM':
      return `pkg:rpm/${enc(os?.id ?? 'rpm')}/${enc(pkg.name)}@${enc(pkg.version)}${qualifiers({ arch: pkg.arch, distro })}`;
    case 'npm': {
      const [scope, name] = pkg.name.startsWith('@') ? pkg.name.split('/', 2) : [undefined, pkg.name];
      return `pkg:npm/${scope ? `${enc(scope)}/` : ''}${enc(name ?? '')}@${enc(pkg.version)}`;
    }
    case 'PyPI':
      return `pkg:pypi/${enc(pkg.name.toLowerCase().replace(/[-_.]+/g, '-'))}@${enc(pkg.version)}`;
    case 'Go':
      return `pkg:golang/${pkg.name.split('/').map(enc).join('/')}@${enc(pkg.version)}`;
  }
}
