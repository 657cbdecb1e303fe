import type { Knex } from 'knex';
import type { ArtifactRow, Queryable } from '../db/types.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import { cosignTagPatternSql } from './accessory-type.ts';
import { artifactTypeSql, mediaTypeSql, typeSql } from './artifact-type.ts';
import { num, time, whereTerm } from './sql-terms.ts';

/** An artifact as the management API lists it: its row, its repository's name and its pull count. */
export interface ArtifactViewRow extends ArtifactRow {
  repository_name: string;
  pull_count: number;
}

/** What an artifact list asks for, already validated (see artifact-query.ts). */
export interface ArtifactFilter {
  scope: { repositoryId: number } | { projectId: number };
  /** Harbor's `q=base=*`: every artifact, including untagged children of indexes. */
  all: boolean;
  /** `tags=*` / `tags=nil`. */
  tagged?: 'tagged' | 'untagged';
  /** `tags=v`, `tags=~v`, `tags={a b}`: some tag of the artifact matches. */
  tagName?: QueryTerm;
  /** `labels=(1 2)` (all of them), `labels={1 2}` (any of them), `labels=1`. */
  labels?: { op: 'all' | 'any'; ids: number[] };
  /** Terms on `digest`, `media_type`, `artifact_type`, `type`. */
  columns: QueryTerm[];
  /** `latest_in_repository`: only each repository's most recently pushed artifact of this media or artifact type. */
  latest?: { key: 'media_type' | 'artifact_type'; value: string };
}

export const artifactColumnExpressions: Record<string, string> = {
  digest: 'a.digest',
  media_type: mediaTypeSql('a'),
  artifact_type: artifactTypeSql('a'),
  type: typeSql('a'),
};

/** Harbor's size: an index counts its own bytes and its children's sizes (the presenter adds them the same way). */
const sizeSql = `(a.size + coalesce((select sum(ch.size) from artifact_children c
    join artifacts ch on ch.repository_id = a.repository_id and ch.digest = c.child_digest where c.parent_id = a.id), 0))`;

export const artifactSortColumns = {
  push_time: 'a.push_time',
  pull_time: 'a.pull_time',
  pull_count: 'a.pull_count',
  size: sizeSql,
  digest: 'a.digest',
  id: 'a.id',
  repository_name: 'r.name',
};

const columns = [
  'a.id', 'a.repository_id', 'a.project_id', 'r.name as repository_name', 'a.digest', 'a.media_type', 'a.artifact_type',
  'a.config_media_type', 'a.config_digest', 'a.manifest_size', 'a.size', 'a.annotations', 'a.subject_digest',
  'a.push_time', 'a.pull_time', 'a.pull_count',
];

const hasTag = 'exists (select 1 from tags t where t.artifact_id = a.id)';
// An index of the same repository names it: Harbor hides such children from lists unless they are tagged.
const hasParent = `exists (select 1 from artifact_children c join artifacts p on p.id = c.parent_id
                    where p.repository_id = a.repository_id and c.child_digest = a.digest)`;

/** Accessories (subject set, or a cosign tag name) are never listed as artifacts of their own, as in Harbor. */
function notAccessory(qb: Knex.QueryBuilder): void {
  qb.whereNull('a.subject_digest').whereRaw('not exists (select 1 from tags t where t.artifact_id = a.id and t.name ~ ?)', [cosignTagPatternSql]);
}

function filtered(db: Queryable, f: ArtifactFilter): Knex.QueryBuilder {
  const q = db('artifacts as a').join('repositories as r', 'r.id', 'a.repository_id');
  if ('repositoryId' in f.scope) q.where('a.repository_id', f.scope.repositoryId);
  else q.where('a.project_id', f.scope.projectId);
  if (!f.all) q.whereRaw(`(${hasTag} or not ${hasParent})`);
  notAccessory(q);
  if (f.tagged === 'tagged') q.whereRaw(hasTag);
  if (f.tagged === 'untagged') q.whereRaw(`not ${hasTag}`);
  if (f.tagName) {
    const t = f.tagName;
    q.whereExists((sub) => {
      sub.select(db.raw('1')).from('tags as tn').whereRaw('tn.artifact_id = a.id');
      whereTerm(sub, 'tn.name', t);
    });
  }
  if (f.labels) {
    const { ids } = f.labels;
    if (f.labels.op === 'all') for (const id of ids) q.whereRaw('exists (select 1 from artifact_labels al where al.artifact_id = a.id and al.label_id = ?)', [id]);
    else if (ids.length) q.whereRaw(`exists (select 1 from artifact_labels al where al.artifact_id = a.id and al.label_id in (${ids.map(() => '?').join(', ')}))`, ids);
    else q.whereRaw('false');
  }
  for (const t of f.columns) whereTerm(q, artifactColumnExpressions[t.key]!, t);
  if (f.latest) {
    // Of what the list would show (the media or artifact type term is among the columns), each repository's newest.
    const newest = filtered(db, { ...f, latest: undefined })
      .distinctOn('a.repository_id')
      .select('a.id')
      .orderBy([{ column: 'a.repository_id' }, { column: 'a.push_time', order: 'desc' }, { column: 'a.id', order: 'desc' }]);
    q.whereIn('a.id', newest);
  }
  return q;
}

/** Normalises what the two drivers return (int8 as number or string, timestamps as Date or string). */
export function toArtifactView(r: Record<string, unknown>): ArtifactViewRow {
  return {
    ...(r as unknown as ArtifactViewRow),
    id: num(r.id),
    repository_id: num(r.repository_id),
    project_id: num(r.project_id),
    manifest_size: num(r.manifest_size),
    size: num(r.size),
    pull_count: num(r.pull_count),
    push_time: time(r.push_time)!,
    pull_time: time(r.pull_time),
  };
}

export interface ChildReference {
  parent_id: number;
  child_digest: string;
  platform: Record<string, unknown> | null;
  /** The child artifact in the parent's repository (always there: an index cannot name a missing manifest). */
  child_id: number | null;
  child_size: number;
}

export interface TagRow {
  id: number;
  repository_id: number;
  artifact_id: number;
  name: string;
  push_time: Date;
  pull_time: Date | null;
}

const toTag = (r: Record<string, unknown>): TagRow => ({
  id: num(r.id),
  repository_id: num(r.repository_id),
  artifact_id: num(r.artifact_id),
  name: r.name as string,
  push_time: time(r.push_time)!,
  pull_time: time(r.pull_time),
});

export const tagSortColumns = { name: 't.name', push_time: 't.push_time', pull_time: 't.pull_time', id: 't.id' };

export const artifactViewsRepo = {
  /** One page of artifacts and the total, filtered and sorted in the database. */
  async page(
    db: Queryable,
    f: ArtifactFilter,
    opts: { sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: ArtifactViewRow[]; total: number }> {
    const [{ count }] = (await filtered(db, f).count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const q = filtered(db, f).select(columns);
    const sort = opts.sort.length ? opts.sort : [{ column: 'a.push_time', order: 'desc' as const }];
    for (const s of sort) q.orderByRaw(`${s.column} ${s.order}${s.order === 'desc' ? ' nulls last' : ' nulls first'}`);
    q.orderBy('a.id', 'desc');
    const rows = (await q.offset(opts.offset).limit(opts.limit)) as Array<Record<string, unknown>>;
    return { rows: rows.map(toArtifactView), total: num(count) };
  },

  /** The artifact of a repository with this digest. */
  async byDigest(db: Queryable, repositoryId: number, digest: string): Promise<ArtifactViewRow | undefined> {
    const row = await db('artifacts as a').join('repositories as r', 'r.id', 'a.repository_id').where({ 'a.repository_id': repositoryId, 'a.digest': digest }).first(columns);
    return row ? toArtifactView(row as Record<string, unknown>) : undefined;
  },

  /** The artifact a tag of the repository points at. */
  async byTag(db: Queryable, repositoryId: number, tag: string): Promise<ArtifactViewRow | undefined> {
    const row = await db('tags as tg')
      .join('artifacts as a', 'a.id', 'tg.artifact_id')
      .join('repositories as r', 'r.id', 'a.repository_id')
      .where({ 'tg.repository_id': repositoryId, 'tg.name': tag })
      .first(columns);
    return row ? toArtifactView(row as Record<string, unknown>) : undefined;
  },

  /** Index children of the given artifacts, with the child's id and size in the same repository. */
  async references(db: Queryable, parentIds: number[]): Promise<ChildReference[]> {
    if (parentIds.length === 0) return [];
    const rows = (await db('artifact_children as c')
      .join('artifacts as p', 'p.id', 'c.parent_id')
      .leftJoin('artifacts as ch', (j) => j.on('ch.repository_id', 'p.repository_id').andOn('ch.digest', 'c.child_digest'))
      .whereIn('c.parent_id', parentIds)
      .orderBy(['c.parent_id', 'c.child_digest'])
      .select('c.parent_id', 'c.child_digest', 'c.platform', 'ch.id as child_id', 'ch.size as child_size')) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      parent_id: num(r.parent_id),
      child_digest: r.child_digest as string,
      platform: (r.platform as Record<string, unknown> | null) ?? null,
      child_id: r.child_id === null || r.child_id === undefined ? null : num(r.child_id),
      child_size: num(r.child_size),
    }));
  },

  /** Digests of the indexes of the repository that name `digest`. */
  async parents(db: Queryable, repositoryId: number, digest: string): Promise<string[]> {
    return db('artifact_children as c').join('artifacts as p', 'p.id', 'c.parent_id').where({ 'p.repository_id': repositoryId, 'c.child_digest': digest }).pluck<string[]>('p.digest');
  },

  /** The tags of the given artifacts, newest push first (Harbor's default order). */
  async tagsOf(db: Queryable, artifactIds: number[]): Promise<TagRow[]> {
    if (artifactIds.length === 0) return [];
    const rows = (await db('tags as t').whereIn('t.artifact_id', artifactIds).orderBy([{ column: 't.push_time', order: 'desc' }, { column: 't.id', order: 'desc' }]).select('t.*')) as Array<Record<string, unknown>>;
    return rows.map(toTag);
  },

  /** One page of an artifact's tags, `q=name=...` and sorted. */
  async tagsPage(
    db: Queryable,
    artifactId: number,
    opts: { terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number },
  ): Promise<{ rows: TagRow[]; total: number }> {
    const base = (): Knex.QueryBuilder => {
      const q = db('tags as t').where('t.artifact_id', artifactId);
      for (const term of opts.terms) whereTerm(q, 't.name', term);
      return q;
    };
    const [{ count }] = (await base().count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const q = base().select('t.*');
    for (const s of opts.sort.length ? opts.sort : [{ column: 't.push_time', order: 'desc' as const }]) q.orderBy(s.column, s.order);
    const rows = (await q.orderBy('t.id', 'desc').offset(opts.offset).limit(opts.limit)) as Array<Record<string, unknown>>;
    return { rows: rows.map(toTag), total: num(count) };
  },

  /** The tag `name` of the repository, if it exists. */
  async tag(db: Queryable, repositoryId: number, name: string): Promise<TagRow | undefined> {
    const row = (await db('tags as t').where({ 't.repository_id': repositoryId, 't.name': name }).first('t.*')) as Record<string, unknown> | undefined;
    return row ? toTag(row) : undefined;
  },

  /** The blobs an artifact's manifest references (config and layers; foreign layers are not stored). */
  async blobDigests(db: Queryable, artifactId: number): Promise<string[]> {
    return db('artifact_blobs').where({ artifact_id: artifactId }).orderBy('digest').pluck<string[]>('digest');
  },

  /** Digests of the artifacts of a repository that no index of the repository names (deletable first). */
  async roots(db: Queryable, repositoryId: number, limit: number): Promise<string[]> {
    return db('artifacts as a')
      .where('a.repository_id', repositoryId)
      .whereRaw(`not ${hasParent}`)
      .orderBy('a.id')
      .limit(limit)
      .pluck<string[]>('a.digest');
  },
};

