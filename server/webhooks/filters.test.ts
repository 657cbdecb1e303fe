import { describe, expect, it } from 'vitest';
import { compileFilters, filterProblem } from './filters.ts';

describe('webhook policy filters', () => {
  it('let everything through when empty', () => {
    const passes = compileFilters({});
    expect(passes({ repository: 'anything/at/all', tags: [] })).toBe(true);
    expect(passes({ tags: [] })).toBe(true);
  });

  it('match repositories inside the project with doublestar patterns', () => {
    const passes = compileFilters({ repositories: ['team/**', 'web'] });
    expect(passes({ repository: 'team/app', tags: ['1'] })).toBe(true);
    expect(passes({ repository: 'team/deep/app', tags: ['1'] })).toBe(true);
    expect(passes({ repository: 'web', tags: ['1'] })).toBe(true);
    expect(passes({ repository: 'web/sub', tags: ['1'] })).toBe(false);
    expect(passes({ repository: 'other', tags: ['1'] })).toBe(false);
    // A single star stays within one path segment.
    expect(compileFilters({ repositories: ['team/*'] })({ repository: 'team/deep/app', tags: [] })).toBe(false);
  });

  it('drop an event naming no repository when a repository filter is set', () => {
    expect(compileFilters({ repositories: ['**'] })({ tags: [] })).toBe(false);
  });

  it('match when any tag matches any tag pattern, and drop untagged artifacts', () => {
    const passes = compileFilters({ tags: ['v*.*', 'release-{1,2}'] });
    expect(passes({ repository: 'a', tags: ['latest', 'v1.2'] })).toBe(true);
    expect(passes({ repository: 'a', tags: ['release-2'] })).toBe(true);
    expect(passes({ repository: 'a', tags: ['release-3', 'latest'] })).toBe(false);
    expect(passes({ repository: 'a', tags: [] })).toBe(false);
  });

  it('need both filters to pass when both are set', () => {
    const passes = compileFilters({ repositories: ['app'], tags: ['prod-*'] });
    expect(passes({ repository: 'app', tags: ['prod-1'] })).toBe(true);
    expect(passes({ repository: 'app', tags: ['dev-1'] })).toBe(false);
    expect(passes({ repository: 'other', tags: ['prod-1'] })).toBe(false);
  });

  it('negate a pattern starting with !', () => {
    const passes = compileFilters({ tags: ['!*-rc*'] });
    expect(passes({ repository: 'a', tags: ['1.0'] })).toBe(true);
    expect(passes({ repository: 'a', tags: ['1.0-rc1'] })).toBe(false);
  });

  it.each([
    [{ repositories: [''] }, 'must be 1-255 characters'],
    [{ tags: ['x'.repeat(256)] }, 'must be 1-255 characters'],
    [{ repositories: ['team /app'] }, 'whitespace'],
    [{ tags: ['a\\b'] }, 'backslash'],
    [{ tags: ['v1/x'] }, 'no tag has'],
    [{ repositories: ['team/[ab'] }, 'not a valid pattern'],
    [{ tags: ['{a,b'] }, 'not a valid pattern'],
    [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'more than 20 patterns'],
  ])('refuse %j', (filters, message) => {
    expect(filterProblem(filters)).toContain(message);
  });

  it('accept usable patterns', () => {
    expect(filterProblem({ repositories: ['team/**', 'app-?', '{a,b}/c'], tags: ['v[0-9]*', 'latest'] })).toBeNull();
  });
});
