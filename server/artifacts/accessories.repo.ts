import type { Queryable } from '../db/types.ts';
import { cosignSuffixes } from './accessory-type.ts';
import { num, time } from './sql-terms.ts';

/** An accessory of a subject artifact, found through `subject` or a cosign tag of the same repository. */
export interface AccessoryRow {
  subject_id: number;
  subject_digest: string;
  repository_name: string;
  id: number;
  digest: string;
  size: number;
  media_type: string;
  artifact_type: string | null;
  config_media_type: string | null;
  push_time: Date;
  /** The cosign tag that attaches it, when it is attached by tag rather than by `subject`. */
  cosign_tag: string | null;
}

const cosignNames = Object.keys(cosignSuffixes)
  .map((suffix) => `'sha256-' || substring(s.digest from 8) || '.${suffix}'`)
  .join(', ');

// Each accessory once per subject; one attached both ways counts as attached by `subject` (the richer link).
const accessoriesSql = (subjects: string) => `
  select distinct on (s.id, x.id)
         s.id as subject_id, s.digest as subject_digest, r.name as repository_name, x.id, x.digest, x.size, x.media_type,
         x.artifact_type, x.config_media_type, x.push_time, via.cosign_tag
    from artifacts s
    join repositories r on r.id = s.repository_id
    join lateral (
      select x.id as accessory_id, null::text as cosign_tag from artifacts x
       where x.repository_id = s.repository_id and x.subject_digest = s.digest
      union all
      select t.artifact_id, t.name from tags t
       where t.repository_id = s.repository_id and s.digest like 'sha256:%' and t.name in (${cosignNames})
    ) via on true
    join artifacts x on x.id = via.accessory_id and x.id <> s.id
   where s.id in (${subjects})
   order by s.id, x.id, via.cosign_tag nulls first`;

const toRow = (r: Record<string, unknown>): AccessoryRow => ({
  subject_id: num(r.subject_id),
  subject_digest: r.subject_digest as string,
  repository_name: r.repository_name as string,
  id: num(r.id),
  digest: r.digest as string,
  size: num(r.size),
  media_type: r.media_type as string,
  artifact_type: (r.artifact_type as string | null) ?? null,
  config_media_type: (r.config_media_type as string | null) ?? null,
  push_time: time(r.push_time)!,
  cosign_tag: (r.cosign_tag as string | null) ?? null,
});

export const accessoriesRepo = {
  /** The accessories of every given subject, newest first. */
  async of(db: Queryable, subjectIds: number[]): Promise<AccessoryRow[]> {
    if (subjectIds.length === 0) return [];
    const result = await db.raw(`select * from (${accessoriesSql(subjectIds.map(() => '?').join(', '))}) acc order by push_time desc, id desc`, subjectIds);
    return (result.rows as Array<Record<string, unknown>>).map(toRow);
  },

  /** One page of one subject's accessories and their total. */
  async page(db: Queryable, subjectId: number, opts: { offset: number; limit: number }): Promise<{ rows: AccessoryRow[]; total: number }> {
    const sql = accessoriesSql('?');
    const count = await db.raw(`select count(*) as count from (${sql}) acc`, [subjectId]);
    const page = await db.raw(`select * from (${sql}) acc order by push_time desc, id desc offset ? limit ?`, [subjectId, opts.offset, opts.limit]);
    return { rows: (page.rows as Array<Record<string, unknown>>).map(toRow), total: num((count.rows as Array<{ count: unknown }>)[0]?.count) };
  },
};
