import type { Queryable, UploadRow } from '../db/types.ts';

export const uploadsRepo = {
  async create(db: Queryable, row: { id: string; repositoryName: string; projectId: number }): Promise<void> {
    await db('uploads').insert({ id: row.id, repository_name: row.repositoryName, project_id: row.projectId });
  },

  async find(db: Queryable, id: string): Promise<UploadRow | undefined> {
    return db('uploads').where({ id }).first<UploadRow | undefined>();
  },

  async delete(db: Queryable, id: string): Promise<void> {
    await db('uploads').where({ id }).delete();
  },

  async createdBefore(db: Queryable, before: Date, limit: number): Promise<UploadRow[]> {
    return db('uploads').where('created_at', '<', before).orderBy('created_at').limit(limit);
  },

  async existing(db: Queryable, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db('uploads').whereIn('id', ids).select<Array<{ id: string }>>('id');
    return new Set(rows.map((r) => r.id));
  },
};
