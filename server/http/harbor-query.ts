import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';

/** One condition of Harbor's `q=` syntax. */
export type QueryTerm =
  | { key: string; op: 'exact'; value: string }
  | { key: string; op: 'fuzzy'; value: string }
  | { key: string; op: 'range'; min?: string; max?: string }
  | { key: string; op: 'any'; values: string[] }
  | { key: string; op: 'all'; values: string[] };

const unquote = (v: string): string => v.trim().replace(/^"(.*)"$/, '$1');

/**
 * Parses `q=k=v,k=~v,k=[min~max],k={a b c},k=(a b c)` (exact, fuzzy, range, any-of, all-of). Keys outside `allowed` are refused
 * with a 400, so a typo never silently widens a result.
 */
export function parseHarborQuery(q: unknown, allowed: readonly string[]): QueryTerm[] {
  if (q === undefined || q === '') return [];
  if (typeof q !== 'string' || q.length > 1024) throw new BerthError('BAD_REQUEST', 'q must be given once and be at most 1024 characters');
  if (q.includes('\u0000')) throw new BerthError('BAD_REQUEST', 'q must not contain NUL characters');
  const terms: QueryTerm[] = [];
  // Split on commas outside brackets, braces and parentheses.
  const parts = q.match(/(?:[^,{[(]|\{[^}]*\}|\[[^\]]*\]|\([^)]*\))+/g) ?? [];
  for (const part of parts) {
    const m = /^\s*([a-z_]+)=(~?)(.*)$/s.exec(part);
    if (!m) throw new BerthError('BAD_REQUEST', `cannot read the query term "${part.slice(0, 100)}"`);
    const [, key, fuzzy, raw] = m as unknown as [string, string, string, string];
    if (!allowed.includes(key)) throw new BerthError('BAD_REQUEST', `unknown query key "${key}"; use ${allowed.join(', ')}`);
    const value = raw.trim();
    if (fuzzy) terms.push({ key, op: 'fuzzy', value: unquote(value) });
    else if (value.startsWith('[') && value.endsWith(']')) {
      const [min, max] = value.slice(1, -1).split('~').map((v) => unquote(v));
      terms.push({ key, op: 'range', min: min || undefined, max: max || undefined });
    } else if (value.startsWith('{') && value.endsWith('}')) {
      terms.push({ key, op: 'any', values: value.slice(1, -1).split(/\s+/).filter(Boolean).map(unquote) });
    } else if (value.startsWith('(') && value.endsWith(')')) {
      terms.push({ key, op: 'all', values: value.slice(1, -1).split(/[\s,]+/).filter(Boolean).map(unquote) });
    } else terms.push({ key, op: 'exact', value: unquote(value) });
  }
  return terms;
}

/** Applies parsed terms to a query; `columns` maps each allowed key to its column. */
export function applyHarborQuery(qb: Knex.QueryBuilder, terms: QueryTerm[], columns: Record<string, string>): void {
  for (const t of terms) {
    const column = columns[t.key]!;
    if (t.op === 'exact') qb.where(column, t.value);
    else if (t.op === 'fuzzy') qb.whereILike(column, `%${t.value.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
    else if (t.op === 'any') qb.whereIn(column, t.values);
    // A single column holds one value, so it matches all of several values only when they are the same.
    else if (t.op === 'all') for (const v of t.values) qb.where(column, v);
    else {
      if (t.min !== undefined) qb.where(column, '>=', t.min);
      if (t.max !== undefined) qb.where(column, '<=', t.max);
    }
  }
}

/** Parses `sort=a,-b` into columns and directions, refusing unknown keys. */
export function parseHarborSort(sort: unknown, columns: Record<string, string>): Array<{ column: string; order: 'asc' | 'desc' }> {
  if (sort === undefined || sort === '') return [];
  if (typeof sort !== 'string') throw new BerthError('BAD_REQUEST', 'sort must be given once');
  return sort.split(',').map((item) => {
    const desc = item.startsWith('-');
    const key = item.replace(/^-/, '').trim();
    const column = columns[key];
    if (!column) throw new BerthError('BAD_REQUEST', `cannot sort by "${key.slice(0, 50)}"; use ${Object.keys(columns).join(', ')}`);
    return { column, order: desc ? 'desc' : 'asc' };
  });
}
