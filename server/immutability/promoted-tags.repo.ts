import type { Queryable } from '../db/types.ts';

/**
 * Tags a promotion applied in a stage whose ladder keeps promoted tags immutable: they act as immutability rules
 * of their own (see ImmutabilityService), so `/v2` and the API refuse to move or delete them alike.
 */
export const promotedTagsRepo = {
  /** Locks the tags a promotion applied (a later promotion of the same digest under the same tag keeps the first). */
  async lock(db: Queryable, rows: Array<{ projectId: number; repository: string; tag: string; digest: string; promotionId: number }>): Promise<void> {
    if (rows.length === 0) return;
    await db('promoted_tags')
      .insert(rows.map((r) => ({ project_id: r.projectId, repository: r.repository, tag: r.tag, digest: r.digest, promotion_id: r.promotionId })))
      .onConflict(['project_id', 'repository', 'tag'])
      .ignore();
  },

  /** The locked tags of a project, as `repository\ttag` -> promotion id. */
  async ofProject(db: Queryable, projectId: number): Promise<Map<string, number>> {
    const rows = await db('promoted_tags').where({ project_id: projectId }).select<Array<{ repository: string; tag: string; promotion_id: number | string }>>('repository', 'tag', 'promotion_id');
    return new Map(rows.map((r) => [`${r.repository}\t${r.tag}`, Number(r.promotion_id)]));
  },

  /** Forgets the locks of an artifact deleted from a stage (only possible when its tags are not locked). */
  async release(db: Queryable, projectId: number, repository: string, tags: string[]): Promise<void> {
    if (tags.length) await db('promoted_tags').where({ project_id: projectId, repository }).whereIn('tag', tags).delete();
  },
};
