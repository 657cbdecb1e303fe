/**
 * Alpine apk version ordering, following apk-tools: `1.2.3[a][_suffix[N]]...[-rN]`.
 * Also used by the other apk-based distributions (Wolfi, Chainguard).
 */

/** Token kinds in the order apk-tools ranks them when two versions diverge in shape. */
const Kind = { Digit: 1, Letter: 2, Suffix: 3, SuffixNumber: 4, Revision: 5, End: 6 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface Token {
  kind: Kind;
  value: number;
}

/** Pre-release suffixes sort before the plain release, so their values are negative. */
const preSuffixes = ['alpha', 'beta', 'pre', 'rc'];
const postSuffixes = ['cvs', 'svn', 'git', 'hg', 'p'];

const shape = /^([0-9]+(?:\.[0-9]+)*)([a-z])?((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*)(?:-r([0-9]+))?$/;

function suffixValue(name: string): number {
  const pre = preSuffixes.indexOf(name);
  if (pre >= 0) return pre - preSuffixes.length;
  return postSuffixes.indexOf(name) + 1;
}

function tokenize(v: string): Token[] | undefined {
  const m = shape.exec(v.trim());
  if (m === null) return undefined;
  const [, digits = '', letter, suffixes = '', revision] = m;
  const tokens: Token[] = digits.split('.').map((d) => ({ kind: Kind.Digit, value: Number(d) }));
  if (letter !== undefined) tokens.push({ kind: Kind.Letter, value: letter.charCodeAt(0) });
  for (const s of suffixes.matchAll(/_([a-z]+)([0-9]*)/g)) {
    tokens.push({ kind: Kind.Suffix, value: suffixValue(s[1] ?? '') });
    if (s[2]) tokens.push({ kind: Kind.SuffixNumber, value: Number(s[2]) });
  }
  if (revision !== undefined) tokens.push({ kind: Kind.Revision, value: Number(revision) });
  tokens.push({ kind: Kind.End, value: 0 });
  return tokens;
}

/** Whether `v` is a well-formed apk version. */
export function valid(v: string): boolean {
  return tokenize(v) !== undefined;
}

/** Compare two apk versions; negative when `a` sorts before `b`, 0 when equal, positive after. */
export function compare(a: string, b: string): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  if (ta === undefined || tb === undefined) throw new Error(`invalid apk version: ${ta === undefined ? a : b}`);
  for (let k = 0; ; k++) {
    const x = ta[k] ?? { kind: Kind.End, value: 0 };
    const y = tb[k] ?? { kind: Kind.End, value: 0 };
    if (x.kind === y.kind) {
      if (x.kind === Kind.End) return 0;
      if (x.value !== y.value) return x.value < y.value ? -1 : 1;
      continue;
    }
    // The versions agree so far but differ in shape: the longer one is newer, unless what it
    // adds is a pre-release suffix; otherwise the kind ranked lower in apk-tools wins.
    if (x.kind === Kind.Suffix && x.value < 0) return -1;
    if (y.kind === Kind.Suffix && y.value < 0) return 1;
    return x.kind > y.kind ? -1 : 1;
  }
}
