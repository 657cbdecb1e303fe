import { describe, expect, it } from 'vitest';
import { parseHarborQuery, parseHarborSort } from './harbor-query.ts';

describe('Harbor q= and sort parsing', () => {
  it('reads exact, fuzzy, range and any-of terms', () => {
    expect(parseHarborQuery('name=~lib,public=true,creation_time=[2020-01-01~2021-01-01],owner={alice bob}', ['name', 'public', 'creation_time', 'owner'])).toEqual([
      { key: 'name', op: 'fuzzy', value: 'lib' },
      { key: 'public', op: 'exact', value: 'true' },
      { key: 'creation_time', op: 'range', min: '2020-01-01', max: '2021-01-01' },
      { key: 'owner', op: 'any', values: ['alice', 'bob'] },
    ]);
  });

  it('reads all-of lists, separated by spaces or commas inside the parentheses', () => {
    expect(parseHarborQuery('labels=(1 2),name=x', ['labels', 'name'])).toEqual([
      { key: 'labels', op: 'all', values: ['1', '2'] },
      { key: 'name', op: 'exact', value: 'x' },
    ]);
    expect(parseHarborQuery('labels=(3,4)', ['labels'])).toEqual([{ key: 'labels', op: 'all', values: ['3', '4'] }]);
  });

  it('refuses unknown keys and unreadable terms', () => {
    expect(() => parseHarborQuery('secret=1', ['name'])).toThrow(/unknown query key "secret"/);
    expect(() => parseHarborQuery('justtext', ['name'])).toThrow(/cannot read/);
  });

  it('reads sort keys with directions and refuses others', () => {
    expect(parseHarborSort('name,-creation_time', { name: 'p.name', creation_time: 'p.created_at' })).toEqual([
      { column: 'p.name', order: 'asc' },
      { column: 'p.created_at', order: 'desc' },
    ]);
    expect(() => parseHarborSort('password', { name: 'p.name' })).toThrow(/cannot sort by "password"/);
  });
});
