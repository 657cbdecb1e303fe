import { splitEpoch } from './epoch-split.ts';

/**
 * RPM version ordering: `[epoch:]version[-release]`, each part compared with rpmvercmp.
 * Used for Red Hat, Rocky Linux, AlmaLinux, SUSE and other RPM-based distributions.
 */

interface Evr {
  epoch: number;
  version: string;
  release: string;
}

function parse(v: string): Evr | undefined {
  const s = v.trim();
  const split = splitEpoch(s);
  if (!split) return undefined;
  const { epoch, main: version, suffix: release, hasSuffix } = split;
  if (version === '' || (hasSuffix && release === '')) return undefined;
  return { epoch, version, release };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && /[A-Za-z]/.test(c);
const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);

/**
 * rpmvercmp: compare alternating digit and letter segments, skipping separators.
 * `~` sorts before everything (even the end); `^` sorts after the end but before any segment.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && inSegment(a[i])) i++;
    while (j < b.length && inSegment(b[j])) j++;
    let x = a.slice(si, i);
    let y = b.slice(sj, j);
    // Segments of different types: a number is newer than letters.
    if (y === '') return numeric ? 1 : -1;
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** Whether `v` is a usable `[epoch:]version[-release]` string. */
export function valid(v: string): boolean {
  const p = parse(v);
  return p !== undefined && /^[A-Za-z0-9._+~^]+$/.test(p.version) && (p.release === '' || /^[A-Za-z0-9._+~^]+$/.test(p.release));
}

/** Compare two RPM EVR strings; negative when `a` sorts before `b`, 0 when equal, positive after. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa === undefined || pb === undefined) throw new Error(`invalid rpm version: ${pa === undefined ? a : b}`);
  if (pa.epoch !== pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  const v = rpmvercmp(pa.version, pb.version);
  if (v !== 0) return v;
  return rpmvercmp(pa.release, pb.release);
}
