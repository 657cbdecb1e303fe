import { describe, expect, it } from 'vitest';
import { compare, valid } from './pep440.ts';

describe('PEP 440 ordering', () => {
  it('orders dev, pre, final and post releases', () => {
    const ordered = ['1.0.dev0', '1.0a1.dev1', '1.0a1', '1.0a2', '1.0b1', '1.0b2.post1', '1.0rc1', '1.0', '1.0+local', '1.0.post1.dev0', '1.0.post1', '1.1.dev1', '1.1'];
    for (let k = 1; k < ordered.length; k++) {
      expect(compare(ordered[k - 1]!, ordered[k]!), `${ordered[k - 1]} < ${ordered[k]}`).toBeLessThan(0);
      expect(compare(ordered[k]!, ordered[k - 1]!)).toBeGreaterThan(0);
    }
    expect([...ordered].reverse().sort(compare)).toEqual(ordered);
  });

  it.each([
    ['1.0', '1.0.0'],
    ['1.0', '1'],
    ['1.0a1', '1.0alpha1'],
    ['1.0a1', '1.0.a.1'],
    ['1.0b2', '1.0-beta-2'],
    ['1.0rc1', '1.0c1'],
    ['1.0rc1', '1.0pre1'],
    ['1.0rc1', '1.0preview1'],
    ['1.0RC1', '1.0rc1'],
    ['1.0a', '1.0a0'],
    ['1.0.post1', '1.0-1'],
    ['1.0.post1', '1.0post1'],
    ['1.0.post1', '1.0_post_1'],
    ['1.0.post1', '1.0.rev1'],
    ['1.0.post1', '1.0-r1'],
    ['1.0.post0', '1.0.post'],
    ['1.0.dev0', '1.0dev'],
    ['1.0.dev0', '1.0-DEV0'],
    ['v1.0', '1.0'],
    ['0!1.0', '1.0'],
    ['1.0+ubuntu.1', '1.0+ubuntu-1'],
    ['1.0+Local', '1.0+local'],
  ])('treats %s and %s as the same version', (a, b) => {
    expect(compare(a, b)).toBe(0);
  });

  it.each([
    ['1.0', '1!0.1'],
    ['2.0', '10.0'],
    ['1.0.9', '1.0.10'],
    ['1.0a9', '1.0a10'],
    ['1.0', '1.0+abc'],
    ['1.0+abc', '1.0+abc.1'],
    ['1.0+abc', '1.0+abd'],
    ['1.0+zzz', '1.0+1'],
    ['1.0+1', '1.0+2'],
    ['1.0.dev1', '1.0.dev2'],
    ['1.0.post1.dev1', '1.0.post1'],
    ['2.31.0', '2.32.0'],
    ['41.0.7', '42.0.0'],
  ])('sorts %s before %s', (a, b) => {
    expect(compare(a, b)).toBeLessThan(0);
    expect(compare(b, a)).toBeGreaterThan(0);
  });

  it('accepts PEP 440 spellings and rejects other strings', () => {
    for (const v of ['1', '1.0', '1!2.0', '1.0a1', '1.0.post1', '1.0.dev3', '1.0+abc.5', ' 1.0 ', 'V1.0']) expect(valid(v), v).toBe(true);
    for (const v of ['', 'abc', '1.0+', '1.0++a', '1.0-beta-x', '1..0', '1.0+a..b', 'latest']) expect(valid(v), v).toBe(false);
  });

  it('throws on malformed versions', () => {
    expect(() => compare('1.0', 'nope')).toThrow(/invalid PEP 440 version: nope/);
  });
});
