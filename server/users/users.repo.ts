import type { Queryable, UserRow } from '../db/types.ts';

export const usersRepo = {
  async findByName(db: Queryable, username: string): Promise<UserRow | undefined> {
    return db('users').where({ username }).first<UserRow | undefined>();
  },

  /** Inserts a user unless the name is taken; returns true when this call created it. */
  async insertIfMissing(db: Queryable, u: { username: string; passwordHash: string; sysadmin: boolean; realname?: string }): Promise<boolean> {
    const rows = await db('users')
      .insert({ username: u.username, password_hash: u.passwordHash, sysadmin: u.sysadmin, realname: u.realname ?? null })
      .onConflict('username')
      .ignore()
      .returning('id');
    return rows.length > 0;
  },
};
