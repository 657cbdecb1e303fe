import { describe, expect, it } from 'vitest';
import { doublestar } from './doublestar.ts';
import { compileRule, immutableBy, type ImmutableRuleDoc } from './immutable-rule.ts';

describe('doublestar patterns (picomatch with doublestar semantics)', () => {
  it.each([
    ['*', 'v1.0', true],
    ['*', 'app/web', false],
    ['**', 'app/web/api', true],
    ['app/*', 'app/web', true],
    ['app/*', 'app/web/api', false],
    ['app/**', 'app/web/api', true],
    ['**/api', 'api', true],
    ['**/api', 'app/web/api', true],
    ['v*', 'v1.2.3', true],
    ['v*', 'release-v1', false],
    ['v?.0', 'v1.0', true],
    ['v?.0', 'v10.0', false],
    ['{dev,prod}-*', 'prod-42', true],
    ['{dev,prod}-*', 'test-42', false],
    ['release-[0-9]*', 'release-7', true],
    ['release-[!0-9]*', 'release-x', true],
    ['release-[!0-9]*', 'release-7', false],
    ['1.*', '1.0.3', true],
    // Dots are ordinary characters, `!` is literal, and extglobs are not special.
    ['*', '.hidden', true],
    ['!latest', 'stable', false],
    ['!latest', '!latest', true],
    ['+(a)', 'aa', false],
    // `**` inside a segment is just `*`.
    ['a**', 'abc', true],
    ['a**', 'ab/c', false],
  ])('%s against %s: %s', (pattern, value, expected) => {
    expect(doublestar(pattern)(value)).toBe(expected);
  });

  it.each(['[a', 'v{1,2', 'a]', '(x'])('refuses the malformed pattern %s', (pattern) => {
    expect(() => doublestar(pattern)).toThrow();
  });
});

const rule = (repo: [string, string], tag: [string, string]): ImmutableRuleDoc => ({
  action: 'immutable',
  template: 'immutable_template',
  tag_selectors: [{ kind: 'doublestar', decoration: tag[0] as 'matches', pattern: tag[1] }],
  scope_selectors: { repository: [{ kind: 'doublestar', decoration: repo[0] as 'repoMatches', pattern: repo[1] }] },
});

describe('immutability rules', () => {
  it('needs both the repository and the tag selector to pass', () => {
    const r = compileRule({ id: 1, doc: rule(['repoMatches', 'app/**'], ['matches', 'v*']) });
    expect(r.matches('app/web', 'v1')).toBe(true);
    expect(r.matches('app/web', 'latest')).toBe(false);
    expect(r.matches('tools/web', 'v1')).toBe(false);
  });

  it('inverts each selector with its excludes decoration', () => {
    const r = compileRule({ id: 2, doc: rule(['repoExcludes', 'sandbox/**'], ['excludes', '{latest,dev-*}']) });
    expect(r.matches('app', 'v1')).toBe(true);
    expect(r.matches('app', 'latest')).toBe(false);
    expect(r.matches('app', 'dev-42')).toBe(false);
    expect(r.matches('sandbox/x', 'v1')).toBe(false);
  });

  it('finds the first rule that covers a tag', () => {
    const rules = [compileRule({ id: 3, doc: rule(['repoMatches', 'web'], ['matches', 'v*']) }), compileRule({ id: 4, doc: rule(['repoMatches', '**'], ['matches', 'release-*']) })];
    expect(immutableBy(rules, 'web', 'v2')?.id).toBe(3);
    expect(immutableBy(rules, 'api', 'release-1')?.id).toBe(4);
    expect(immutableBy(rules, 'api', 'v2')).toBeUndefined();
  });
});
