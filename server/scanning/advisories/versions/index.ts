/** Version comparison for OSV ecosystems, dispatching to each ecosystem's ordering. */
import * as apk from './apk.ts';
import * as dpkg from './dpkg.ts';
import * as pep440 from './pep440.ts';
import * as rpm from './rpm.ts';
import * as semver from './semver.ts';

interface Comparator {
  compare(a: string, b: string): number;
  valid(v: string): boolean;
}

/** OSV ecosystem names (without release suffix) and the ordering their versions follow. */
const comparators: Record<string, Comparator> = {
  Debian: dpkg,
  Ubuntu: dpkg,
  Alpine: apk,
  Wolfi: apk,
  Chainguard: apk,
  'Red Hat': rpm,
  'Rocky Linux': rpm,
  AlmaLinux: rpm,
  RPM: rpm,
  SUSE: rpm,
  openSUSE: rpm,
  openEuler: rpm,
  Mageia: rpm,
  npm: semver,
  Go: semver,
  'crates.io': semver,
  Hex: semver,
  PyPI: pep440,
};

/** The OSV ecosystem names whose versions can be compared. */
export const knownEcosystems: readonly string[] = Object.freeze(Object.keys(comparators));

function comparatorFor(ecosystem: string): Comparator {
  // OSV qualifies distribution ecosystems with a release, e.g. `Debian:12` or `Ubuntu:22.04:LTS`.
  const base = ecosystem.split(':', 1)[0]?.trim() ?? '';
  const c = Object.hasOwn(comparators, base) ? comparators[base] : undefined;
  if (c === undefined) throw new Error(`unknown ecosystem: ${ecosystem}`);
  return c;
}

/** Compare two versions of a package in `ecosystem`; negative when `a` sorts before `b`, 0 when equal, positive after. */
export function compareVersions(ecosystem: string, a: string, b: string): number {
  // `|| 0` turns a -0 into 0 so callers can test equality with ===.
  return Math.sign(comparatorFor(ecosystem).compare(a, b)) || 0;
}

/** Whether `v` is a valid version in `ecosystem`. */
export function validVersion(ecosystem: string, v: string): boolean {
  return comparatorFor(ecosystem).valid(v);
}
