import type { Queryable, UserRow } from '../db/types.ts';

export interface NewUser {
  username: string;
  passwordHash: string;
  sysadmin: boolean;
  email?: string | null;
  realname?: string | null;
  comment?: string | null;
}

export const usersRepo = {
  async findByName(db: Queryable, username: string): Promise<UserRow | undefined> {
    return db('users').where({ username }).first<UserRow | undefined>();
  },

  async findById(db: Queryable, id: number): Promise<UserRow | undefined> {
    return db('users').where({ id }).first<UserRow | undefined>();
  },

  /** Inserts a user unless the name or email is taken; returns the new id, or null when it was taken. */
  async insert(db: Queryable, u: NewUser): Promise<number | null> {
    const rows = await db('users')
      .insert({
        username: u.username,
        password_hash: u.passwordHash,
        sysadmin: u.sysadmin,
        email: u.email ?? null,
        realname: u.realname ?? null,
        comment: u.comment ?? null,
      })
      .onConflict()
      .ignore()
      .returning<Array<{ id: number }>>('id');
    return rows[0]?.id ?? null;
  },

  async update(db: Queryable, id: number, changes: Partial<Pick<UserRow, 'email' | 'realname' | 'comment' | 'password_hash' | 'sysadmin'>>): Promise<boolean> {
    return (await db('users').where({ id }).update({ ...changes, updated_at: db.fn.now() })) > 0;
  },

  async delete(db: Queryable, id: number): Promise<boolean> {
    return (await db('users').where({ id }).delete()) > 0;
  },

  /** A page of users by id, optionally those whose name contains `nameLike`, with the total count. */
  async page(db: Queryable, opts: { offset: number; limit: number; nameLike?: string }): Promise<{ rows: UserRow[]; total: number }> {
    const base = db('users');
    if (opts.nameLike) base.whereILike('username', `%${opts.nameLike.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
    const [{ count }] = (await base.clone().count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = await base.clone().orderBy('id').offset(opts.offset).limit(opts.limit).select<UserRow[]>('*');
    return { rows, total: Number(count) };
  },
};
