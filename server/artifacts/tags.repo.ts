import type { Queryable } from '../db/types.ts';

export interface TaggedArtifact {
  artifact_id: number;
  digest: string;
  media_type: string;
  manifest_size: number;
  subject_digest: string | null;
}

export const tagsRepo = {
  /** Points `name` at the artifact, moving the tag when it already exists. */
  async upsert(db: Queryable, repositoryId: number, name: string, artifactId: number): Promise<void> {
    await db('tags')
      .insert({ repository_id: repositoryId, name, artifact_id: artifactId })
      .onConflict(['repository_id', 'name'])
      .merge({ artifact_id: artifactId, push_time: db.fn.now() });
  },

  /** Creates `name` on the artifact; false when the repository has a tag of that name already (it is left alone). */
  async insertIfAbsent(db: Queryable, repositoryId: number, name: string, artifactId: number): Promise<boolean> {
    const rows = await db('tags').insert({ repository_id: repositoryId, name, artifact_id: artifactId }).onConflict(['repository_id', 'name']).ignore().returning('id');
    return rows.length > 0;
  },

  async resolve(db: Queryable, repositoryName: string, tag: string): Promise<TaggedArtifact | undefined> {
    return db('tags as t')
      .join('repositories as r', 'r.id', 't.repository_id')
      .join('artifacts as a', 'a.id', 't.artifact_id')
      .where({ 'r.name': repositoryName, 't.name': tag })
      .first<TaggedArtifact | undefined>('a.id as artifact_id', 'a.digest', 'a.media_type', 'a.manifest_size', 'a.subject_digest');
  },

  /** Deletes a tag; returns the artifact it pointed at, or undefined when there was no such tag. */
  async delete(db: Queryable, repositoryName: string, tag: string): Promise<{ digest: string; media_type: string } | undefined> {
    const result = await db.raw(
      `with removed as (
         delete from tags where name = ? and repository_id = (select id from repositories where name = ?) returning artifact_id
       )
       select a.digest, a.media_type from removed join artifacts a on a.id = removed.artifact_id`,
      [tag, repositoryName],
    );
    return (result.rows as Array<{ digest: string; media_type: string }>)[0];
  },

  /** The tags of an artifact, sorted. */
  async namesOf(db: Queryable, artifactId: number): Promise<string[]> {
    return db('tags').where({ artifact_id: artifactId }).orderBy('name').pluck<string[]>('name');
  },

  /** Tag names in lexical order after `last`. */
  async names(db: Queryable, repositoryId: number, opts: { last?: string; limit: number }): Promise<string[]> {
    const q = db('tags').where({ repository_id: repositoryId }).orderBy('name').limit(opts.limit).pluck<string[]>('name');
    if (opts.last) q.where('name', '>', opts.last);
    return q;
  },
};
