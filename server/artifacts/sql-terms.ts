import type { Knex } from 'knex';
import type { QueryTerm } from '../http/harbor-query.ts';

const escapeLike = (v: string): string => `%${v.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;

/**
 * Applies one Harbor query term to an SQL expression (not just a column name, which `applyHarborQuery` takes), with
 * every value bound as a parameter.
 */
export function whereTerm(qb: Knex.QueryBuilder, expression: string, t: QueryTerm): void {
  if (t.op === 'exact') qb.whereRaw(`${expression} = ?`, [t.value]);
  else if (t.op === 'fuzzy') qb.whereRaw(`${expression} ilike ?`, [escapeLike(t.value)]);
  else if (t.op === 'any') {
    if (t.values.length === 0) qb.whereRaw('false');
    else qb.whereRaw(`${expression} in (${t.values.map(() => '?').join(', ')})`, t.values);
  } else if (t.op === 'all') for (const v of t.values) qb.whereRaw(`${expression} = ?`, [v]);
  else {
    if (t.min !== undefined) qb.whereRaw(`${expression} >= ?`, [t.min]);
    if (t.max !== undefined) qb.whereRaw(`${expression} <= ?`, [t.max]);
  }
}

/** `column ILIKE %value%` with the value's wildcards escaped. */
export const fuzzy = escapeLike;

/** A number from a driver that may answer int8 and numeric columns as strings. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A timestamp from either driver as a Date (or null). */
export const time = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string | Date));
