/** Whether a package version falls within an OSV `affected` entry, following the OSV evaluation rules. */
import type { OsvAffected, OsvEvent, OsvRange } from './osv.ts';
import { compareVersions, validVersion } from './versions/index.ts';
import * as semver from './versions/semver.ts';

export interface AffectedMatch {
  affected: boolean;
  /** The lowest version that fixes the vulnerability for this version, when one is known. */
  fixedVersion?: string;
}

type Compare = (a: string, b: string) => number;

interface FlatEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

function flatten(e: OsvEvent): FlatEvent {
  if ('introduced' in e) return { kind: 'introduced', version: e.introduced };
  if ('fixed' in e) return { kind: 'fixed', version: e.fixed };
  if ('last_affected' in e) return { kind: 'last_affected', version: e.last_affected };
  return { kind: 'limit', version: e.limit };
}

/** `introduced: "0"` means "from the very first version", so it sorts before everything. */
const isZero = (e: FlatEvent): boolean => e.kind === 'introduced' && e.version === '0';

function sortEvents(events: FlatEvent[], compare: Compare): FlatEvent[] {
  return [...events].sort((a, b) => {
    if (isZero(a) || isZero(b)) return isZero(a) === isZero(b) ? 0 : isZero(a) ? -1 : 1;
    return compare(a.version, b.version);
  });
}

/** SEMVER ranges use SemVer ordering whatever the ecosystem; ECOSYSTEM ranges use the package's own. */
function comparatorFor(range: OsvRange, ecosystem: string): Compare {
  return range.type === 'SEMVER' ? semver.compare : (a, b) => compareVersions(ecosystem, a, b);
}

/** Evaluate one range: returns undefined when `version` is outside it, else the fix within the range if any. */
function matchRange(range: OsvRange, ecosystem: string, version: string): { fixed?: string } | undefined {
  const compare = comparatorFor(range, ecosystem);
  const events = sortEvents(range.events.map(flatten), compare);
  const limits = events.filter((e) => e.kind === 'limit');
  // A limit is a hard upper bound: at or beyond every limit, nothing in the range applies.
  if (limits.length > 0 && !limits.some((l) => compare(version, l.version) < 0)) return undefined;
  let affected = false;
  for (const e of events) {
    if (e.kind === 'introduced') {
      if (isZero(e) || compare(version, e.version) >= 0) affected = true;
    } else if (e.kind === 'fixed') {
      if (compare(version, e.version) >= 0) affected = false;
    } else if (e.kind === 'last_affected') {
      if (compare(version, e.version) > 0) affected = false;
    }
  }
  if (!affected) return undefined;
  // Events are sorted, so the first fix above the version is the smallest one.
  const fix = events.find((e) => e.kind === 'fixed' && compare(version, e.version) < 0);
  return fix === undefined ? {} : { fixed: fix.version };
}

function listed(affected: OsvAffected, version: string): boolean {
  const versions = affected.versions ?? [];
  if (versions.includes(version)) return true;
  // Also accept spellings of the same version (e.g. PyPI `1.0` and `1.0.0`).
  const ecosystem = affected.package.ecosystem;
  try {
    if (!validVersion(ecosystem, version)) return false;
    return versions.some((v) => validVersion(ecosystem, v) && compareVersions(ecosystem, v, version) === 0);
  } catch {
    // An ecosystem we cannot order can still match by exact string, as checked above.
    return false;
  }
}

/**
 * Decide whether `version` of the package named in `affected` is vulnerable: it is when it is
 * listed in `versions` or falls within any ECOSYSTEM or SEMVER range (GIT ranges are ignored).
 * `fixedVersion` is the smallest `fixed` event above the version in a matching range; when several
 * ranges match it is the highest of their fixes (the version that leaves them all), and it is
 * undefined when any matching range has no fix. Throws when the ecosystem is unknown or a
 * version cannot be parsed in a range that must be evaluated.
 */
export function matchAffected(affected: OsvAffected, version: string): AffectedMatch {
  const ecosystem = affected.package.ecosystem;
  const ranges = (affected.ranges ?? []).filter((r) => r.type === 'ECOSYSTEM' || r.type === 'SEMVER');
  const matches = ranges.flatMap((r) => {
    const m = matchRange(r, ecosystem, version);
    return m === undefined ? [] : [{ range: r, fixed: m.fixed }];
  });
  if (matches.length === 0) return { affected: listed(affected, version) };
  let fixedVersion: string | undefined;
  for (const m of matches) {
    if (m.fixed === undefined) return { affected: true };
    if (fixedVersion === undefined || comparatorFor(m.range, ecosystem)(m.fixed, fixedVersion) > 0) fixedVersion = m.fixed;
  }
  return fixedVersion === undefined ? { affected: true } : { affected: true, fixedVersion };
}
