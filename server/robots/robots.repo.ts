import type { Queryable } from '../db/types.ts';

export interface RobotPermissionDoc {
  kind: 'project';
  namespace: string;
  access: Array<{ resource: string; action: string; effect?: string }>;
}

export interface RobotRow {
  id: number;
  name: string;
  description: string;
  level: 'system' | 'project';
  project_id: number | null;
  secret_hash: string;
  disabled: boolean;
  duration: number;
  expires_at: Date | null;
  permissions: RobotPermissionDoc[];
  creator_id: number | null;
  created_at: Date;
  updated_at: Date;
}

export const robotsRepo = {
  async findById(db: Queryable, id: number): Promise<RobotRow | undefined> {
    return db('robots').where({ id }).first<RobotRow | undefined>();
  },

  async findByName(db: Queryable, name: string): Promise<RobotRow | undefined> {
    return db('robots').where({ name }).first<RobotRow | undefined>();
  },

  /** Inserts a robot; null when the name is taken. */
  async insert(db: Queryable, r: Omit<RobotRow, 'id' | 'created_at' | 'updated_at'>): Promise<number | null> {
    const rows = await db('robots')
      .insert({ ...r, permissions: JSON.stringify(r.permissions) })
      .onConflict('name')
      .ignore()
      .returning<Array<{ id: number }>>('id');
    return rows[0]?.id ?? null;
  },

  async update(db: Queryable, id: number, changes: Partial<Pick<RobotRow, 'description' | 'disabled' | 'duration' | 'expires_at' | 'secret_hash' | 'permissions'>>): Promise<void> {
    const values: Record<string, unknown> = { ...changes, updated_at: db.fn.now() };
    if (changes.permissions) values.permissions = JSON.stringify(changes.permissions);
    await db('robots').where({ id }).update(values);
  },

  async delete(db: Queryable, id: number): Promise<boolean> {
    return (await db('robots').where({ id }).delete()) > 0;
  },

  async page(db: Queryable, opts: { projectId?: number; level?: string; offset: number; limit: number }): Promise<{ rows: RobotRow[]; total: number }> {
    const base = db('robots');
    if (opts.projectId !== undefined) base.where({ project_id: opts.projectId });
    if (opts.level) base.where({ level: opts.level });
    const [{ count }] = (await base.clone().count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = await base.clone().orderBy('id').offset(opts.offset).limit(opts.limit).select<RobotRow[]>('*');
    return { rows, total: Number(count) };
  },
};
