/**
 * Types for the OSV advisory schema (https://ossf.github.io/osv-schema/) and a checker
 * that turns an untrusted JSON document into a typed advisory.
 */

export type OsvSeverityType = 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'Ubuntu';

export interface OsvSeverity {
  type: OsvSeverityType;
  score: string;
}

export interface OsvPackage {
  ecosystem: string;
  name: string;
  purl?: string;
}

export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export type OsvRangeType = 'ECOSYSTEM' | 'SEMVER' | 'GIT';

export interface OsvRange {
  type: OsvRangeType;
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

export interface OsvAffected {
  package: OsvPackage;
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvReference {
  type: string;
  url: string;
}

export interface OsvAdvisory {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: OsvReference[];
  credits?: Array<{ name: string; contact?: string[]; type?: string }>;
  database_specific?: Record<string, unknown>;
}

const severityTypes: readonly string[] = ['CVSS_V2', 'CVSS_V3', 'CVSS_V4', 'Ubuntu'];
const rangeTypes: readonly string[] = ['ECOSYSTEM', 'SEMVER', 'GIT'];
const eventKinds: readonly string[] = ['introduced', 'fixed', 'last_affected', 'limit'];

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new Error(`${path} ${problem}`);
}

function object(v: unknown, path: string): Json {
  if (v === undefined) fail(path, 'is missing');
  if (!isObject(v)) fail(path, 'must be an object');
  return v;
}

function string(v: unknown, path: string): string {
  if (v === undefined) fail(path, 'is missing');
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

function optionalString(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : string(v, path);
}

function optionalObject(v: unknown, path: string): Json | undefined {
  return v === undefined ? undefined : object(v, path);
}

function array(v: unknown, path: string): unknown[] {
  if (v === undefined) fail(path, 'is missing');
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

function optionalStrings(v: unknown, path: string): string[] | undefined {
  if (v === undefined) return undefined;
  return array(v, path).map((s, i) => string(s, `${path}[${i}]`));
}

function timestamp(v: unknown, path: string): string {
  const s = string(v, path);
  // RFC 3339 in UTC as OSV requires, though fractional seconds are optional.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) || Number.isNaN(Date.parse(s))) {
    fail(path, `must be an RFC 3339 timestamp, got ${JSON.stringify(s)}`);
  }
  return s;
}

function optionalTimestamp(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : timestamp(v, path);
}

/** Copies only the properties that are present, so optional keys stay absent rather than undefined. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function severities(v: unknown, path: string): OsvSeverity[] | undefined {
  if (v === undefined) return undefined;
  return array(v, path).map((entry, i) => {
    const p = `${path}[${i}]`;
    const o = object(entry, p);
    const type = string(o.type, `${p}.type`);
    if (!severityTypes.includes(type)) fail(`${p}.type`, `must be one of ${severityTypes.join(', ')}, got ${JSON.stringify(type)}`);
    return { type: type as OsvSeverityType, score: string(o.score, `${p}.score`) };
  });
}

function event(v: unknown, path: string): OsvEvent {
  const o = object(v, path);
  const keys = Object.keys(o).filter((k) => eventKinds.includes(k));
  if (keys.length !== 1) fail(path, `must have exactly one of ${eventKinds.join(', ')}`);
  const key = keys[0] ?? '';
  const value = string(o[key], `${path}.${key}`);
  if (value === '') fail(`${path}.${key}`, 'must not be empty');
  switch (key) {
    case 'introduced':
      return { introduced: value };
    case 'fixed':
      return { fixed: value };
    case 'last_affected':
      return { last_affected: value };
    default:
      return { limit: value };
  }
}

function range(v: unknown, path: string): OsvRange {
  const o = object(v, path);
  const type = string(o.type, `${path}.type`);
  if (!rangeTypes.includes(type)) fail(`${path}.type`, `must be one of ${rangeTypes.join(', ')}, got ${JSON.stringify(type)}`);
  const events = array(o.events, `${path}.events`).map((e, i) => event(e, `${path}.events[${i}]`));
  if (events.length === 0) fail(`${path}.events`, 'must not be empty');
  if (!events.some((e) => 'introduced' in e)) fail(`${path}.events`, 'must contain an introduced event');
  if (type === 'GIT' && o.repo === undefined) fail(`${path}.repo`, 'is missing');
  return compact({
    type: type as OsvRangeType,
    repo: optionalString(o.repo, `${path}.repo`),
    events,
    database_specific: optionalObject(o.database_specific, `${path}.database_specific`),
  });
}

function affected(v: unknown, path: string): OsvAffected {
  const o = object(v, path);
  const pkg = object(o.package, `${path}.package`);
  const ecosystem = string(pkg.ecosystem, `${path}.package.ecosystem`);
  const name = string(pkg.name, `${path}.package.name`);
  if (ecosystem === '') fail(`${path}.package.ecosystem`, 'must not be empty');
  if (name === '') fail(`${path}.package.name`, 'must not be empty');
  return compact({
    package: compact({ ecosystem, name, purl: optionalString(pkg.purl, `${path}.package.purl`) }),
    severity: severities(o.severity, `${path}.severity`),
    ranges: o.ranges === undefined ? undefined : array(o.ranges, `${path}.ranges`).map((r, i) => range(r, `${path}.ranges[${i}]`)),
    versions: optionalStrings(o.versions, `${path}.versions`),
    ecosystem_specific: optionalObject(o.ecosystem_specific, `${path}.ecosystem_specific`),
    database_specific: optionalObject(o.database_specific, `${path}.database_specific`),
  });
}

function references(v: unknown, path: string): OsvReference[] | undefined {
  if (v === undefined) return undefined;
  return array(v, path).map((r, i) => {
    const o = object(r, `${path}[${i}]`);
    return { type: string(o.type, `${path}[${i}].type`), url: string(o.url, `${path}[${i}].url`) };
  });
}

function credits(v: unknown, path: string): OsvAdvisory['credits'] {
  if (v === undefined) return undefined;
  return array(v, path).map((c, i) => {
    const o = object(c, `${path}[${i}]`);
    return compact({
      name: string(o.name, `${path}[${i}].name`),
      contact: optionalStrings(o.contact, `${path}[${i}].contact`),
      type: optionalString(o.type, `${path}[${i}].type`),
    });
  });
}

/**
 * Check that `doc` has the shape of an OSV advisory and return it typed.
 * Unknown properties are dropped. Throws an Error naming the first problem,
 * e.g. `affected[0].package.name is missing`.
 */
export function parseOsv(doc: unknown): OsvAdvisory {
  const o = object(doc, 'advisory');
  const id = string(o.id, 'id');
  if (id === '') fail('id', 'must not be empty');
  return compact({
    schema_version: optionalString(o.schema_version, 'schema_version'),
    id,
    modified: timestamp(o.modified, 'modified'),
    published: optionalTimestamp(o.published, 'published'),
    withdrawn: optionalTimestamp(o.withdrawn, 'withdrawn'),
    aliases: optionalStrings(o.aliases, 'aliases'),
    related: optionalStrings(o.related, 'related'),
    summary: optionalString(o.summary, 'summary'),
    details: optionalString(o.details, 'details'),
    severity: severities(o.severity, 'severity'),
    affected: o.affected === undefined ? undefined : array(o.affected, 'affected').map((a, i) => affected(a, `affected[${i}]`)),
    references: references(o.references, 'references'),
    credits: credits(o.credits, 'credits'),
    database_specific: optionalObject(o.database_specific, 'database_specific'),
  });
}
