import type { InstalledPackage, OsRelease } from '../inventory/package.ts';

/** How an advisory names a package, and how an installed package is looked up: the same key on both sides. */
export interface PackageKey {
  /** OSV ecosystem name without its release: `Debian`, `Alpine`, `npm` ... */
  ecosystem: string;
  /** `12`, `v3.19`, `22.04`; '' for ecosystems without releases or advisories for every release. */
  release: string;
  name: string;
}

/** PEP 503: PyPI names compare case-insensitively with runs of `-`, `_` and `.` alike. */
const pypiName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

export const normalName = (ecosystem: string, name: string): string => (ecosystem === 'PyPI' ? pypiName(name) : name);

/** The key of an OSV `affected[].package` (`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `npm` ...). */
export function advisoryKey(pkg: { ecosystem: string; name: string }): PackageKey {
  const [ecosystem = '', ...rest] = pkg.ecosystem.split(':');
  // Ubuntu's releases carry a suffix (`22.04:LTS`, `Pro:18.04:LTS`): the numeric release is what matches.
  const release = ecosystem === 'Ubuntu' ? (rest.find((r) => /^\d+\.\d+$/.test(r)) ?? '') : (rest[0] ?? '');
  return { ecosystem, release, name: normalName(ecosystem, pkg.name) };
}

const rpmEcosystems: Record<string, string> = { rocky: 'Rocky Linux', almalinux: 'AlmaLinux', rhel: 'Red Hat', openeuler: 'openEuler', mageia: 'Mageia', opensuse: 'openSUSE', 'opensuse-leap': 'openSUSE', sles: 'SUSE' };

/** The release an OS package's advisories are filed under, from os-release. */
function osRelease(ecosystem: string, os: OsRelease | undefined): string {
  const v = os?.versionId ?? '';
  if (!v) return '';
  if (ecosystem === 'Alpine') return `v${v.split('.').slice(0, 2).join('.')}`;
  if (ecosystem === 'Debian') return v.split('.')[0]!;
  if (ecosystem === 'Ubuntu') return v;
  return v.split('.')[0]!;
}

/**
 * The keys an installed package is looked up by, with the version to compare under each. Distro advisories name
 * source packages (Debian's DSAs, Alpine's secdb by origin), so an OS package is looked up by its binary and its
 * source name, and compared by the source version under the source name.
 */
export function lookupKeys(pkg: InstalledPackage, os: OsRelease | undefined): Array<PackageKey & { version: string }> {
  const ecosystem = pkg.ecosystem === 'RPM' ? (rpmEcosystems[os?.id ?? ''] ?? 'RPM') : pkg.ecosystem;
  const os_ = pkg.ecosystem === 'Debian' || pkg.ecosystem === 'Ubuntu' || pkg.ecosystem === 'Alpine' || pkg.ecosystem === 'RPM';
  const release = os_ ? osRelease(pkg.ecosystem, os) : '';
  const keys = [{ ecosystem, release, name: normalName(ecosystem, pkg.name), version: pkg.version }];
  if (os_ && pkg.sourceName && pkg.sourceName !== pkg.name) keys.push({ ecosystem, release, name: pkg.sourceName, version: pkg.sourceVersion ?? pkg.version });
  return keys;
}

