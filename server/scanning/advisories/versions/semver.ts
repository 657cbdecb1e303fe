/**
 * SemVer 2.0 precedence, used for npm and Go modules. A leading `v` is accepted so Go
 * versions (`v1.2.3`, pseudo-versions, `+incompatible`) compare like their SemVer forms.
 */

interface SemVer {
  core: [string, string, string];
  prerelease: string[];
}

const numeric = /^(?:0|[1-9][0-9]*)$/;
const shape = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

function parse(v: string): SemVer | undefined {
  const m = shape.exec(v.trim());
  if (m === null) return undefined;
  const [, major = '', minor = '', patch = '', pre, build] = m;
  const prerelease = pre === undefined ? [] : pre.split('.');
  // Identifiers may not be empty, and numeric ones may not carry leading zeros.
  if (prerelease.some((id) => id === '' || (/^[0-9]+$/.test(id) && !numeric.test(id)))) return undefined;
  if (build !== undefined && build.split('.').some((id) => id === '')) return undefined;
  return { core: [major, minor, patch], prerelease };
}

/** Compare decimal strings without leading zeros, without overflowing for long numbers. */
function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareIdentifiers(a: string, b: string): number {
  const an = numeric.test(a);
  const bn = numeric.test(b);
  if (an && bn) return compareNumbers(a, b);
  // Numeric identifiers have lower precedence than alphanumeric ones.
  if (an) return -1;
  if (bn) return 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Whether `v` is a SemVer 2.0 version, optionally prefixed by `v`. */
export function valid(v: string): boolean {
  return parse(v) !== undefined;
}

/** Compare two SemVer versions by precedence; build metadata is ignored. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa === undefined || pb === undefined) throw new Error(`invalid semver version: ${pa === undefined ? a : b}`);
  for (let k = 0; k < 3; k++) {
    const c = compareNumbers(pa.core[k] ?? '0', pb.core[k] ?? '0');
    if (c !== 0) return c;
  }
  // A version with a prerelease sorts before the same version without one.
  if (pa.prerelease.length === 0 || pb.prerelease.length === 0) {
    return pa.prerelease.length === pb.prerelease.length ? 0 : pa.prerelease.length === 0 ? 1 : -1;
  }
  const n = Math.min(pa.prerelease.length, pb.prerelease.length);
  for (let k = 0; k < n; k++) {
    const c = compareIdentifiers(pa.prerelease[k] ?? '', pb.prerelease[k] ?? '');
    if (c !== 0) return c;
  }
  return Math.sign(pa.prerelease.length - pb.prerelease.length);
}
