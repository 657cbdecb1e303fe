import type { Knex } from 'knex';
import { hashPassword } from './passwords.ts';
import { usersRepo } from './users.repo.ts';

export class UsersService {
  constructor(private readonly db: Knex) {}

  /** Creates the user unless the name exists; true when created. The password is stored only as a hash. */
  async createIfMissing(username: string, password: string, sysadmin: boolean, realname?: string): Promise<boolean> {
    if (await usersRepo.findByName(this.db, username)) return false;
    return usersRepo.insertIfMissing(this.db, { username, passwordHash: await hashPassword(password), sysadmin, realname });
  }
}
