import { describe, expect, it } from 'vitest';
import { compare, valid } from './apk.ts';

/** Pairs where the first version sorts strictly before the second. */
const ascending: Array<[string, string]> = [
  ['1.2.3_rc1-r0', '1.2.3-r0'],
  ['1.2.3-r9', '1.2.3-r10'],
  ['1.2.3_alpha', '1.2.3_beta'],
  ['1.2.3_beta2', '1.2.3_pre1'],
  ['1.2.3_pre1', '1.2.3_rc1'],
  ['1.2.3_rc1', '1.2.3_rc2'],
  ['1.2.3', '1.2.3_p1'],
  ['1.2.3_cvs', '1.2.3_svn'],
  ['1.2.3_git20240101', '1.2.3_hg1'],
  ['1.2.3_hg1', '1.2.3_p0'],
  ['1.2.3_p1', '1.2.3_p2'],
  ['1.2.3', '1.2.3a'],
  ['1.2.3a', '1.2.3b'],
  ['1.2.3', '1.2.3.1'],
  ['1.2.3_rc1', '1.2.3'],
  ['1.2.9', '1.2.10'],
  ['1.2', '1.10'],
  ['1.2.3-r0', '1.2.3-r1'],
  ['1.2.3', '1.2.3-r0'], // as in apk-tools, an explicit revision sorts after none
  ['1.2.3', '1.2.3-r1'],
  ['1.2.3-r5', '1.2.3_p1-r0'],
  ['1.2.3-r5', '1.2.4-r0'],
  ['3.1.4-r5', '3.1.4-r6'],
  ['1.36.1-r15', '1.36.1-r29'],
  ['3.0.12-r4', '3.1.4-r0'],
];

describe('apk version ordering', () => {
  it.each(ascending)('sorts %s before %s', (a, b) => {
    expect(compare(a, b)).toBeLessThan(0);
    expect(compare(b, a)).toBeGreaterThan(0);
  });

  it.each([
    ['1.2.3-r1', '1.2.3-r1'],
  ])('treats %s and %s as equal', (a, b) => {
    expect(compare(a, b)).toBe(0);
  });

  it('accepts well-formed versions and rejects malformed ones', () => {
    for (const v of ['1', '1.2.3', '1.2.3a', '1.2.3_rc1', '1.2.3_p1_rc2-r4', '2.40.1-r0']) expect(valid(v), v).toBe(true);
    for (const v of ['', 'v1.2', '1.2.3_foo', '1.2.3ab', '1.2.3-4', '1..2', '1.2.3-r']) expect(valid(v), v).toBe(false);
  });

  it('throws on malformed versions naming the bad one', () => {
    expect(() => compare('1.2.3', '1.2.3_foo')).toThrow(/invalid apk version: 1.2.3_foo/);
  });
});
