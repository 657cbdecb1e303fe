import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { parseHarborQuery, parseHarborSort, type QueryTerm } from '../http/harbor-query.ts';
import { artifactSortColumns, type ArtifactFilter } from './artifact-views.repo.ts';

/** What an artifact response includes beyond the artifact itself (Harbor's `with_*` query parameters). */
export interface ArtifactOptions {
  withTag: boolean;
  withLabel: boolean;
  withAccessory: boolean;
  withScanOverview: boolean;
  withSbomOverview: boolean;
  withImmutableStatus: boolean;
}

/** A boolean query parameter (`true`/`false`), or its default when absent. */
export function boolParam(ctx: Context, name: string, fallback: boolean): boolean {
  const v = ctx.query[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new BerthError('BAD_REQUEST', `${name} must be true or false`);
}

/**
 * Harbor's `with_*` options. Tags default to on; accessories too, as Harbor's handler does (its swagger says off,
 * its code turns them on unless `with_accessory=false`).
 */
export function readArtifactOptions(ctx: Context): ArtifactOptions {
  return {
    withTag: boolParam(ctx, 'with_tag', true),
    withLabel: boolParam(ctx, 'with_label', false),
    withAccessory: boolParam(ctx, 'with_accessory', true),
    withScanOverview: boolParam(ctx, 'with_scan_overview', false),
    withSbomOverview: boolParam(ctx, 'with_sbom_overview', false),
    withImmutableStatus: boolParam(ctx, 'with_immutable_status', false),
  };
}

const queryKeys = ['digest', 'media_type', 'artifact_type', 'type', 'tags', 'labels', 'base'] as const;

function labelIds(values: string[]): number[] {
  return values.map((v) => {
    if (!/^\d{1,9}$/.test(v)) throw new BerthError('BAD_REQUEST', `labels takes label ids, not "${v.slice(0, 50)}"`);
    return Number(v);
  });
}

/**
 * Reads `q`, `sort` and `latest_in_repository` of an artifact list into a filter the repository runs: `digest`,
 * `media_type`, `artifact_type` and `type` (exact, fuzzy, any-of), `tags` (`*` tagged, `nil` untagged, a name,
 * `~fuzzy`, `{any of}`), `labels` (`(all of)`, `{any of}` or one id) and `base=*` (include untagged index children).
 */
export function readArtifactQuery(ctx: Context, scope: ArtifactFilter['scope'], allowLatest: boolean): { filter: ArtifactFilter; sort: ReturnType<typeof parseHarborSort> } {
  const terms = parseHarborQuery(ctx.query.q, queryKeys);
  const filter: ArtifactFilter = { scope, all: false, columns: [] };
  for (const t of terms) {
    if (t.key === 'base') {
      if (t.op !== 'exact' || t.value !== '*') throw new BerthError('BAD_REQUEST', 'base can only be "*"');
      filter.all = true;
    } else if (t.key === 'tags') {
      if (t.op === 'exact' && t.value === '*') filter.tagged = 'tagged';
      else if (t.op === 'exact' && t.value === 'nil') filter.tagged = 'untagged';
      else if (t.op === 'range' || t.op === 'all') throw new BerthError('BAD_REQUEST', 'tags takes "*", "nil", a name, ~fuzzy or {any of}');
      else filter.tagName = t;
    } else if (t.key === 'labels') {
      if (t.op === 'all' || t.op === 'any') filter.labels = { op: t.op, ids: labelIds(t.values) };
      else if (t.op === 'exact') filter.labels = { op: 'all', ids: labelIds([t.value]) };
      else throw new BerthError('BAD_REQUEST', 'labels takes (id1 id2) for all of them, {id1 id2} for any of them, or one id');
    } else {
      if (t.op === 'range') throw new BerthError('BAD_REQUEST', `${t.key} cannot be queried by range`);
      filter.columns.push(t);
    }
  }
  if (allowLatest && boolParam(ctx, 'latest_in_repository', false)) filter.latest = latestKey(filter.columns);
  return { filter, sort: parseHarborSort(ctx.query.sort, artifactSortColumns) };
}

/** `latest_in_repository` needs exactly one of `media_type` and `artifact_type`, by exact value (Harbor's rule). */
function latestKey(columns: QueryTerm[]): ArtifactFilter['latest'] {
  const keyed = columns.filter((t) => t.key === 'media_type' || t.key === 'artifact_type');
  const only = keyed[0];
  if (keyed.length !== 1 || !only || only.op !== 'exact') {
    throw new BerthError('BAD_REQUEST', "either 'media_type' or 'artifact_type' must be given (exactly, not both) with latest_in_repository");
  }
  return { key: only.key as 'media_type' | 'artifact_type', value: only.value };
}
