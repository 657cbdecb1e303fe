import { describe, expect, it } from 'vitest';
import { matchAffected } from './affected.ts';
import type { OsvAffected, OsvEvent, OsvRange } from './osv.ts';

const entry = (ecosystem: string, ranges: OsvRange[], versions?: string[]): OsvAffected => ({
  package: { ecosystem, name: 'pkg' },
  ranges,
  ...(versions === undefined ? {} : { versions }),
});
const eco = (...events: OsvEvent[]): OsvRange => ({ type: 'ECOSYSTEM', events });

describe('matchAffected', () => {
  const simple = entry('PyPI', [eco({ introduced: '1.0' }, { fixed: '1.5' })]);

  it.each([
    ['0.9', { affected: false }],
    ['1.0', { affected: true, fixedVersion: '1.5' }],
    ['1.0.0', { affected: true, fixedVersion: '1.5' }],
    ['1.4.9', { affected: true, fixedVersion: '1.5' }],
    ['1.5rc1', { affected: true, fixedVersion: '1.5' }],
    ['1.5', { affected: false }],
    ['2.0', { affected: false }],
  ])('treats %s in [1.0, 1.5) as %o', (version, expected) => {
    expect(matchAffected(simple, version)).toEqual(expected);
  });

  it('reads introduced "0" as from the first version', () => {
    const e = entry('Debian:12', [eco({ introduced: '0' }, { fixed: '2.36-9+deb12u7' })]);
    expect(matchAffected(e, '0.1-1')).toEqual({ affected: true, fixedVersion: '2.36-9+deb12u7' });
    expect(matchAffected(e, '2.36-9+deb12u4')).toEqual({ affected: true, fixedVersion: '2.36-9+deb12u7' });
    expect(matchAffected(e, '2.36-9+deb12u7')).toEqual({ affected: false });
    expect(matchAffected(e, '1:0.1')).toEqual({ affected: false });
  });

  it('includes last_affected itself and reports no fix', () => {
    const e = entry('npm', [eco({ introduced: '1.0.0' }, { last_affected: '1.2.3' })]);
    expect(matchAffected(e, '1.2.3')).toEqual({ affected: true });
    expect(matchAffected(e, '1.2.3-rc.1')).toEqual({ affected: true });
    expect(matchAffected(e, '1.2.4')).toEqual({ affected: false });
    expect(matchAffected(e, '0.9.0')).toEqual({ affected: false });
  });

  it('treats a range with only introduced as affecting every later version', () => {
    const e = entry('Alpine:v3.19', [eco({ introduced: '0' })]);
    expect(matchAffected(e, '99.0-r0')).toEqual({ affected: true });
  });

  it('sorts events before evaluating them, whatever their order in the document', () => {
    const e = entry('npm', [eco({ fixed: '2.0.1' }, { introduced: '2.0.0' }, { fixed: '1.1.0' }, { introduced: '0' })]);
    expect(matchAffected(e, '1.0.0')).toEqual({ affected: true, fixedVersion: '1.1.0' });
    expect(matchAffected(e, '1.5.0')).toEqual({ affected: false });
    expect(matchAffected(e, '2.0.0')).toEqual({ affected: true, fixedVersion: '2.0.1' });
    expect(matchAffected(e, '2.0.1')).toEqual({ affected: false });
  });

  it('reports the fix of the interval the version is in, when a range has several', () => {
    const e = entry('Alpine:v3.18', [eco({ introduced: '0' }, { fixed: '1.2.3-r5' }, { introduced: '1.3.0-r0' }, { fixed: '1.3.2-r1' })]);
    expect(matchAffected(e, '1.2.3_rc1-r0')).toEqual({ affected: true, fixedVersion: '1.2.3-r5' });
    expect(matchAffected(e, '1.2.3-r10')).toEqual({ affected: false });
    expect(matchAffected(e, '1.3.1-r0')).toEqual({ affected: true, fixedVersion: '1.3.2-r1' });
  });

  it('checks every range and needs only one to match', () => {
    const e = entry('PyPI', [eco({ introduced: '1.0' }, { fixed: '1.0.5' }), eco({ introduced: '2.0' }, { fixed: '2.1' })]);
    expect(matchAffected(e, '1.0.1')).toEqual({ affected: true, fixedVersion: '1.0.5' });
    expect(matchAffected(e, '1.5')).toEqual({ affected: false });
    expect(matchAffected(e, '2.0.post1')).toEqual({ affected: true, fixedVersion: '2.1' });
  });

  it('reports the fix that leaves every matching range when ranges overlap', () => {
    const e = entry('npm', [eco({ introduced: '0' }, { fixed: '1.5.0' }), eco({ introduced: '1.0.0' }, { fixed: '1.7.0' })]);
    expect(matchAffected(e, '1.2.0')).toEqual({ affected: true, fixedVersion: '1.7.0' });
    const unfixed = entry('npm', [eco({ introduced: '0' }, { fixed: '1.5.0' }), eco({ introduced: '1.0.0' })]);
    expect(matchAffected(unfixed, '1.2.0')).toEqual({ affected: true });
  });

  it('matches versions listed explicitly, also in another spelling', () => {
    const e = entry('PyPI', [], ['1.0', '1.1']);
    expect(matchAffected(e, '1.1')).toEqual({ affected: true });
    expect(matchAffected(e, '1.0.0')).toEqual({ affected: true });
    expect(matchAffected(e, '1.2')).toEqual({ affected: false });
  });

  it('matches an explicit version even when the ranges do not cover it', () => {
    const e = entry('npm', [eco({ introduced: '2.0.0' }, { fixed: '2.0.1' })], ['1.0.0']);
    expect(matchAffected(e, '1.0.0')).toEqual({ affected: true });
    expect(matchAffected(e, '2.0.0')).toEqual({ affected: true, fixedVersion: '2.0.1' });
  });

  it('compares SEMVER ranges with SemVer, Go versions with or without v', () => {
    const e = entry('Go', [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.10.0' }] }]);
    expect(matchAffected(e, 'v1.9.3')).toEqual({ affected: true, fixedVersion: '1.10.0' });
    expect(matchAffected(e, 'v0.0.0-20210101000000-abcdef123456')).toEqual({ affected: true, fixedVersion: '1.10.0' });
    expect(matchAffected(e, 'v1.10.0')).toEqual({ affected: false });
  });

  it('ignores GIT ranges', () => {
    const e = entry('npm', [{ type: 'GIT', repo: 'https://example.test/r', events: [{ introduced: '0' }, { fixed: 'abcdef' }] }]);
    expect(matchAffected(e, '1.0.0')).toEqual({ affected: false });
  });

  it('honours limit as an upper bound', () => {
    const e = entry('npm', [eco({ introduced: '0' }, { limit: '2.0.0' })]);
    expect(matchAffected(e, '1.9.9')).toEqual({ affected: true });
    expect(matchAffected(e, '2.0.0')).toEqual({ affected: false });
    expect(matchAffected(e, '3.0.0')).toEqual({ affected: false });
  });

  it('is not affected when there are neither ranges nor versions', () => {
    expect(matchAffected({ package: { ecosystem: 'npm', name: 'x' } }, '1.0.0')).toEqual({ affected: false });
  });

  it('throws for a range in an ecosystem it cannot order', () => {
    expect(() => matchAffected(entry('Cobol', [eco({ introduced: '1' }, { fixed: '2' })]), '1')).toThrow(/unknown ecosystem: Cobol/);
  });
});
