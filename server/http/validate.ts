import type { Context } from 'koa';
import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { BerthError } from '../core/errors.ts';
import { readLimitedBody } from './body.ts';

const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true });

/** Compiles a request-body schema once, at module load. */
export function bodySchema<T>(schema: JSONSchemaType<T>): ValidateFunction<T> {
  return ajv.compile(schema);
}

function describe(err: ErrorObject): string {
  const at = err.instancePath ? err.instancePath.slice(1).replaceAll('/', '.') : 'body';
  if (err.keyword === 'additionalProperties') return `unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  if (err.keyword === 'required') return `missing field "${(err.params as { missingProperty: string }).missingProperty}"`;
  return `"${at}" ${err.message ?? 'is invalid'}`;
}

/** Whether a parsed JSON value holds a NUL character anywhere (PostgreSQL text cannot store one). */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}

/** Reads a JSON body (at most 1 MiB) and validates it; malformed or invalid input is a 400 naming the field. */
export async function parseBody<T>(ctx: Context, validate: ValidateFunction<T>, options: { emptyAs?: unknown } = {}): Promise<T> {
  const raw = await readLimitedBody(ctx.req, 1024 * 1024);
  let data: unknown;
  try {
    data = raw.length === 0 && options.emptyAs !== undefined ? structuredClone(options.emptyAs) : JSON.parse(raw.toString('utf8') || 'null');
  } catch {
    throw new BerthError('BAD_REQUEST', 'the request body is not valid JSON');
  }
  if (!validate(data)) throw new BerthError('BAD_REQUEST', `invalid request body: ${describe(validate.errors![0]!)}`);
  if (hasNul(data)) throw new BerthError('BAD_REQUEST', 'invalid request body: text must not contain NUL characters');
  return data;
}
