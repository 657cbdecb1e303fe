import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { checkDocument } from './document-checks.ts';
import { policyApiVersion, type PolicyDocument, type PolicyKind } from './documents.ts';

/** A problem in a document: `path` is a JSON pointer into it (`""` for the root), `message` says what is wrong. */
export interface PolicyProblem {
  path: string;
  message: string;
}

export type PolicyValidation = { ok: true; document: PolicyDocument } | { ok: false; problems: PolicyProblem[] };

export const policyKinds: readonly PolicyKind[] = ['TrustPolicy', 'PromotionLadder'];

const schemaFiles: Record<PolicyKind, string> = { TrustPolicy: 'trust-policy.schema.json', PromotionLadder: 'promotion-ladder.schema.json' };
const sharedFiles = ['common.schema.json', 'gates.schema.json'];
const schemaDir = new URL('../../policies/schemas/', import.meta.url);

let compiled: Map<PolicyKind, ValidateFunction> | undefined;

/** The schemas in policies/schemas are the source of truth; they are compiled once, on first use. */
function validators(): Map<PolicyKind, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(file, schemaDir), 'utf8')) as Record<string, unknown>;
  for (const file of sharedFiles) ajv.addSchema(load(file));
  compiled = new Map(policyKinds.map((kind) => [kind, ajv.compile(load(schemaFiles[kind]))]));
  return compiled;
}

const escape = (segment: string): string => segment.replaceAll('~', '~0').replaceAll('/', '~1');

/** One ajv error as a problem, or null for errors that only restate another (a failed `if`/`then` branch). */
function toProblem(err: ErrorObject): PolicyProblem | null {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'if':
      return null;
    case 'additionalProperties':
      return { path: `${err.instancePath}/${escape(String(params.additionalProperty))}`, message: `unknown property "${String(params.additionalProperty)}"` };
    case 'required':
      return { path: `${err.instancePath}/${escape(String(params.missingProperty))}`, message: 'is required' };
    case 'enum':
      return { path: err.instancePath, message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { path: err.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'pattern':
      return { path: err.instancePath, message: `does not have the required form (${err.parentSchema?.description ?? `pattern ${String(params.pattern)}`})` };
    case 'minProperties':
      return { path: err.instancePath, message: err.instancePath.endsWith('/spec') ? 'must not be empty' : `must have at least ${String(params.limit)} properties` };
    default:
      return { path: err.instancePath, message: err.message ?? 'is invalid' };
  }
}

/** Sorted by path, duplicates dropped, at most 50: enough to fix a document, never a flood. */
function tidy(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.path}\u0000${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, 50);
}

/**
 * Checks a document against the schema of its kind, then (only when the schema passed) the rules a schema cannot
 * say: unique stage names, transitions into existing stages, parseable keys of allowed types, and so on.
 */
export function validatePolicyDocument(input: unknown): PolicyValidation {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, problems: [{ path: '', message: 'must be an object (a policy document)' }] };
  const doc = input as Record<string, unknown>;
  if (doc.apiVersion !== policyApiVersion) return { ok: false, problems: [{ path: '/apiVersion', message: `must be "${policyApiVersion}"` }] };
  const kind = policyKinds.find((k) => k === doc.kind);
  if (!kind) return { ok: false, problems: [{ path: '/kind', message: `must be one of ${policyKinds.join(', ')}` }] };
  const validate = validators().get(kind)!;
  if (!validate(doc)) return { ok: false, problems: tidy((validate.errors ?? []).map(toProblem).filter((p): p is PolicyProblem => p !== null)) };
  const problems = checkDocument(doc as unknown as PolicyDocument);
  return problems.length ? { ok: false, problems: tidy(problems) } : { ok: true, document: doc as unknown as PolicyDocument };
}
