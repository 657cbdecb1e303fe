import { describe, expect, it } from 'vitest';
import { compare, valid } from './dpkg.ts';

/** Pairs where the first version sorts strictly before the second. */
const ascending: Array<[string, string]> = [
  ['1.0~rc1', '1.0'],
  ['1.0~~', '1.0~'],
  ['1.0~', '1.0'],
  ['1.0', '1.0a'],
  ['1.0a', '1.0+'],
  ['1.0', '1.0.1'],
  ['1.0', '1.0-1'],
  ['1.2', '1.10'],
  ['2.0', '1:0.9'],
  ['1:1.0', '2:0.1'],
  ['2.36-9+deb12u4', '2.36-9+deb12u7'],
  ['2.36-9+deb12u9', '2.36-9+deb12u10'],
  ['1.1.1n-0+deb11u4', '1.1.1n-0+deb11u5'],
  ['3.0.11-1~deb12u2', '3.0.11-1'],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u8'],
  ['1.2.3-1ubuntu1', '1.2.3-1ubuntu2'],
  ['2.35-0ubuntu3.1', '2.35-0ubuntu3.10'],
  ['1.0-1', '1.0-1.1'],
  ['1.0-9', '1.0-10'],
  ['1.0a', '1.0b'],
  ['1.0Z', '1.0a'],
  ['0.9-1', '1.0-1'],
  ['1.0-2', '1.0-1-1'], // the revision is after the last hyphen, so upstream 1.0-1 > 1.0
];

describe('dpkg version ordering', () => {
  it.each(ascending)('sorts %s before %s', (a, b) => {
    expect(compare(a, b)).toBeLessThan(0);
    expect(compare(b, a)).toBeGreaterThan(0);
  });

  it.each([
    ['1.0', '1.0'],
    ['0:1.0', '1.0'],
    ['1.01', '1.1'],
    ['1.0-01', '1.0-1'],
    ['1.0-0', '1.0-0'],
  ])('treats %s and %s as equal', (a, b) => {
    expect(compare(a, b)).toBe(0);
  });

  it('orders a list of versions like dpkg --compare-versions', () => {
    const list = ['1.0', '1:0.1', '1.0~beta1', '1.0-1', '0.99', '1.0+really0.9', '1.0~alpha'];
    expect([...list].sort(compare)).toEqual(['0.99', '1.0~alpha', '1.0~beta1', '1.0', '1.0-1', '1.0+really0.9', '1:0.1']);
  });

  it('accepts well-formed versions and rejects malformed ones', () => {
    for (const v of ['1.0', '1:2.3-4', '2.36-9+deb12u4', '1.0~rc1-1', '0:0']) expect(valid(v), v).toBe(true);
    for (const v of ['', 'a1.0', 'x:1.0', '1.0-', '1.0-a_b', '1 0']) expect(valid(v), v).toBe(false);
  });

  it('throws when a version has a non-numeric epoch', () => {
    expect(() => compare('x:1', '1')).toThrow(/invalid dpkg version: x:1/);
  });
});
