import { describe, expect, it } from 'vitest';
import { compare, valid } from './semver.ts';

describe('semver precedence', () => {
  it('follows the SemVer 2.0 example ordering of prereleases', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let k = 1; k < ordered.length; k++) {
      expect(compare(ordered[k - 1]!, ordered[k]!), `${ordered[k - 1]} < ${ordered[k]}`).toBeLessThan(0);
      expect(compare(ordered[k]!, ordered[k - 1]!)).toBeGreaterThan(0);
    }
    expect([...ordered].reverse().sort(compare)).toEqual(ordered);
  });

  it.each([
    ['1.0.0', '2.0.0'],
    ['2.0.0', '2.1.0'],
    ['2.1.0', '2.1.1'],
    ['1.9.0', '1.10.0'],
    ['1.0.0-2', '1.0.0-10'],
    ['1.0.0-1', '1.0.0-a'],
    ['1.0.0-a', '1.0.0-a.0'],
    ['1.0.0-Z', '1.0.0-a'],
    ['v1.2.3', 'v1.2.4'],
    ['v0.0.0-20210101000000-abcdef123456', 'v0.0.0-20220101000000-123456abcdef'],
    ['v0.0.0-20210101000000-abcdef123456', 'v0.1.0'],
    ['v1.2.3', 'v1.2.4-0.20230101000000-abcdef123456'],
    ['v1.2.4-0.20230101000000-abcdef123456', 'v1.2.4'],
    ['v2.0.0+incompatible', 'v2.1.0+incompatible'],
    ['99999999999999999999.0.0', '100000000000000000000.0.0'],
  ])('sorts %s before %s', (a, b) => {
    expect(compare(a, b)).toBeLessThan(0);
    expect(compare(b, a)).toBeGreaterThan(0);
  });

  it.each([
    ['1.0.0', 'v1.0.0'],
    ['1.0.0+build.1', '1.0.0+build.2'],
    ['v2.0.0+incompatible', 'v2.0.0'],
    ['1.0.0-rc.1+x', '1.0.0-rc.1'],
  ])('treats %s and %s as equal precedence', (a, b) => {
    expect(compare(a, b)).toBe(0);
  });

  it('accepts SemVer and Go versions and rejects others', () => {
    for (const v of ['0.0.0', '1.2.3', 'v1.2.3', '1.0.0-alpha-1.0', '1.0.0+20130313144700', 'v0.0.0-20210101000000-abcdef123456', 'v2.3.4+incompatible']) {
      expect(valid(v), v).toBe(true);
    }
    for (const v of ['', '1.2', '1.2.3.4', '01.2.3', '1.2.3-01', '1.2.3-', '1.2.3-a..b', '1.2.3+', 'vv1.2.3', '1.2.x']) {
      expect(valid(v), v).toBe(false);
    }
  });

  it('throws on malformed versions', () => {
    expect(() => compare('1.2', '1.2.0')).toThrow(/invalid semver version: 1.2/);
  });
});
