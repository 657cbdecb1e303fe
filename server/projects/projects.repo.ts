import type { ProjectRow, Queryable } from '../db/types.ts';

export const projectsRepo = {
  async findByName(db: Queryable, name: string): Promise<ProjectRow | undefined> {
    return db('projects').where({ name }).first<ProjectRow | undefined>();
  },

  /** Creates a project unless one of that name exists; returns the stored row either way. */
  async ensure(db: Queryable, p: { name: string; public: boolean; ownerId: number | null }): Promise<ProjectRow> {
    await db('projects').insert({ name: p.name, public: p.public, owner_id: p.ownerId }).onConflict('name').ignore();
    return (await this.findByName(db, p.name))!;
  },

  async publicIds(db: Queryable): Promise<number[]> {
    return db('projects').where({ public: true }).pluck<number[]>('id');
  },
};
