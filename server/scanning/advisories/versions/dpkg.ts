import { splitEpoch } from './epoch-split.ts';

/**
 * Debian package version ordering (Debian Policy §5.6.12), used for Debian and Ubuntu.
 * A version is `[epoch:]upstream[-revision]`.
 */

interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const upstreamChars = /^[0-9][A-Za-z0-9.+~:-]*$/;
const revisionChars = /^[A-Za-z0-9.+~]+$/;

function parse(v: string): DpkgVersion | undefined {
  const s = v.trim();
  if (s === '') return undefined;
  const split = splitEpoch(s);
  if (!split) return undefined;
  const { epoch, main: upstream, suffix: revision } = split;
  return { epoch, upstream, revision };
}

/** Sort weight of one character in the non-digit part: `~` lowest, then end of string (or a digit), letters, then the rest. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** The dpkg `verrevcmp` algorithm: alternate non-digit and digit runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    // Equal-length digit runs differ at their first unequal digit; a longer run is bigger.
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Whether `v` is a syntactically valid Debian version. */
export function valid(v: string): boolean {
  const p = parse(v);
  if (p === undefined) return false;
  if (!upstreamChars.test(p.upstream)) return false;
  if (p.upstream.includes(':')) return false;
  if (p.revision !== '' && !revisionChars.test(p.revision)) return false;
  // A trailing hyphen leaves an empty revision, which dpkg rejects.
  if (v.trim().endsWith('-')) return false;
  return true;
}

/** Compare two Debian versions; negative when `a` sorts before `b`, 0 when equal, positive after. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa === undefined || pb === undefined) throw new Error(`invalid dpkg version: ${pa === undefined ? a : b}`);
  if (pa.epoch !== pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  const u = compareFragment(pa.upstream, pb.upstream);
  if (u !== 0) return Math.sign(u);
  return Math.sign(compareFragment(pa.revision, pb.revision));
}
