import { describe, expect, it } from 'vitest';
import { compare, rpmvercmp, valid } from './rpm.ts';

describe('rpmvercmp', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0.1', '2.0', 1],
    ['1.01', '1.1', 0],
    ['1.10', '1.9', 1],
    ['1.0a', '1.0', 1],
    ['1.0a', '1.0b', -1],
    ['1.a', '1.1', -1],
    ['1.1', '1.a', 1],
    ['1_0', '1.0', 0],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~', '1.0~~', 1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.0.1', -1],
    ['1.0^git1', '1.0^git2', -1],
    ['1.0^', '1.0~', 1],
    ['FC5', 'fc4', -1],
    ['2a', '2.0', -1],
  ])('rpmvercmp(%s, %s) is %i', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
    expect(rpmvercmp(b, a)).toBe(-expected || 0);
  });
});

describe('rpm EVR ordering', () => {
  it.each([
    ['1.0-1.el9', '1.0-2.el9'],
    ['3.0.7-24.el9', '3.0.7-27.el9_4'],
    ['2.34-100.el9', '2.34-100.el9_4.2'],
    ['1.2.3-1', '1.2.10-1'],
    ['9.0-1', '1:1.0-1'],
    ['1:2.0-1', '2:1.0-1'],
    ['1.0', '1.0-1'],
    ['7.76.1-29.el9_4', '7.76.1-29.el9_4.1'],
  ])('sorts %s before %s', (a, b) => {
    expect(compare(a, b)).toBeLessThan(0);
    expect(compare(b, a)).toBeGreaterThan(0);
  });

  it('treats a missing epoch as epoch 0', () => {
    expect(compare('0:1.0-1', '1.0-1')).toBe(0);
  });

  it('accepts EVR strings and rejects malformed ones', () => {
    for (const v of ['1.0', '1.0-1.el9', '2:1.2.3-4.fc39', '1.0~rc1^git2-1']) expect(valid(v), v).toBe(true);
    for (const v of ['', 'x:1.0', '1.0-', '1.0-1 2', ':1.0']) expect(valid(v), v).toBe(false);
  });

  it('throws on malformed versions', () => {
    expect(() => compare('e:1', '1')).toThrow(/invalid rpm version/);
  });
});
