/**
 * PEP 440 version ordering for Python packages: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`,
 * with the spelling variations the specification says to normalise.
 */

interface Pep440 {
  epoch: number;
  release: number[];
  pre?: { phase: number; n: number };
  post?: number;
  dev?: number;
  local?: Array<number | string>;
}

const shape = new RegExp(
  '^v?' +
    '(?:([0-9]+)!)?' + // epoch
    '([0-9]+(?:\\.[0-9]+)*)' + // release
    '(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?' + // pre-release
    '(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?' + // post-release (implicit `-N` or spelled)
    '(?:[-_.]?(dev)[-_.]?([0-9]+)?)?' + // development release
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$', // local version label
  'i',
);

/** Phase rank of each pre-release spelling: alpha < beta < release candidate. */
const phases: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

function parse(v: string): Pep440 | undefined {
  const m = shape.exec(v.trim());
  if (m === null) return undefined;
  const [, epoch, release = '', preL, preN, postImplicit, postL, postN, devL, devN, local] = m;
  const parsed: Pep440 = { epoch: epoch === undefined ? 0 : Number(epoch), release: release.split('.').map(Number) };
  if (preL !== undefined) parsed.pre = { phase: phases[preL.toLowerCase()] ?? 0, n: Number(preN ?? 0) };
  if (postImplicit !== undefined) parsed.post = Number(postImplicit);
  else if (postL !== undefined) parsed.post = Number(postN ?? 0);
  if (devL !== undefined) parsed.dev = Number(devN ?? 0);
  if (local !== undefined) {
    parsed.local = local
      .toLowerCase()
      .split(/[-_.]/)
      .map((seg) => (/^[0-9]+$/.test(seg) ? Number(seg) : seg));
  }
  return parsed;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

function compareRelease(a: number[], b: number[]): number {
  // Release segments are padded with zeros, so 1.0 == 1.0.0.
  const n = Math.max(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return sign(d);
  }
  return 0;
}

/**
 * The pre-release sort key: a bare dev release (1.0.dev0) sorts before every pre-release of
 * the same release, and a final or post release after them.
 */
function preKey(v: Pep440): [number, number] {
  if (v.pre !== undefined) return [v.pre.phase, v.pre.n];
  if (v.post === undefined && v.dev !== undefined) return [-Infinity, 0];
  return [Infinity, 0];
}

function compareLocal(a: Array<number | string> | undefined, b: Array<number | string> | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    // Numeric segments sort after alphanumeric ones.
    if (typeof x === 'number' && typeof y === 'number') return sign(x - y);
    if (typeof x === 'number') return 1;
    if (typeof y === 'number') return -1;
    return String(x) < String(y) ? -1 : 1;
  }
  return sign(a.length - b.length);
}

/** Whether `v` is a PEP 440 version (in any of its accepted spellings). */
export function valid(v: string): boolean {
  return parse(v) !== undefined;
}

/** Compare two PEP 440 versions; negative when `a` sorts before `b`, 0 when equal, positive after. */
export function compare(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa === undefined || pb === undefined) throw new Error(`invalid PEP 440 version: ${pa === undefined ? a : b}`);
  if (pa.epoch !== pb.epoch) return sign(pa.epoch - pb.epoch);
  const r = compareRelease(pa.release, pb.release);
  if (r !== 0) return r;
  const [ap, an] = preKey(pa);
  const [bp, bn] = preKey(pb);
  if (ap !== bp) return ap < bp ? -1 : 1;
  if (an !== bn) return sign(an - bn);
  // No post release sorts before any post release.
  const post = (pa.post ?? -1) - (pb.post ?? -1);
  if (post !== 0) return sign(post);
  // No dev release sorts after any dev release.
  const dev = (pa.dev ?? Infinity) - (pb.dev ?? Infinity);
  if (dev !== 0 && !Number.isNaN(dev)) return sign(dev);
  return compareLocal(pa.local, pb.local);
}
