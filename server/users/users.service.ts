import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { UserRow } from '../db/types.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { usersRepo } from './users.repo.ts';
import { membersRepo } from '../projects/members.repo.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Operator } from '../core/actor.ts';

export interface UserInput {
  username: string;
  password: string;
  email?: string;
  realname?: string;
  comment?: string;
}

const usernamePattern = /^[^\s,~#$%:"'<>&*?\\/]{1,255}$/;

/**
 * Local users. Passwords are checked against the policy and stored only as scrypt hashes. `onCredentialsChanged`
 * lets the authenticator drop cached logins when a password, a role flag or the user itself changes.
 */
export class UsersService {
  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    /** Robot names start with this; a user so named could never log in (the login would look for a robot). */
    private readonly robotPrefix: string,
    private readonly onCredentialsChanged: () => void = () => undefined,
  ) {}

  /** Creates the user unless the name exists (first-start bootstrap); true when created. */
  async createIfMissing(username: string, password: string, sysadmin: boolean, realname?: string): Promise<boolean> {
    if (await usersRepo.findByName(this.db, username)) return false;
    return (await usersRepo.insert(this.db, { username, passwordHash: await hashPassword(password), sysadmin, realname })) !== null;
  }

  async create(input: UserInput, operator: Operator): Promise<UserRow> {
    if (!usernamePattern.test(input.username)) throw new BerthError('BAD_REQUEST', 'the username must be 1-255 characters without spaces or any of ,~#$%:"\'<>&*?\\/');
    if (input.username.startsWith(this.robotPrefix)) throw new BerthError('BAD_REQUEST', `usernames starting with "${this.robotPrefix}" are reserved for robot accounts`);
    checkPasswordPolicy(input.password);
    const id = await usersRepo.insert(this.db, {
      username: input.username,
      passwordHash: await hashPassword(input.password),
      sysadmin: false,
      email: input.email || null,
      realname: input.realname ?? null,
      comment: input.comment ?? null,
    });
    if (id === null) throw new BerthError('CONFLICT', `a user with the username "${input.username}" or that email already exists`);
    this.events.emit('user.created', operator, { userId: id, username: input.username });
    return (await usersRepo.findById(this.db, id))!;
  }

  async get(id: number): Promise<UserRow> {
    const user = await usersRepo.findById(this.db, id);
    if (!user) throw new BerthError('NOT_FOUND', `user ${id} not found`);
    return user;
  }

  async getByName(username: string): Promise<UserRow> {
    const user = await usersRepo.findByName(this.db, username);
    if (!user) throw new BerthError('NOT_FOUND', `user ${username} not found`);
    return user;
  }

  page(opts: { offset: number; limit: number; nameLike?: string }): Promise<{ rows: UserRow[]; total: number }> {
    return usersRepo.page(this.db, opts);
  }

  async updateProfile(id: number, profile: { email?: string; realname?: string; comment?: string }, operator: Operator): Promise<void> {
    await this.get(id);
    try {
      await usersRepo.update(this.db, id, {
        ...(profile.email !== undefined ? { email: profile.email || null } : {}),
        ...(profile.realname !== undefined ? { realname: profile.realname } : {}),
        ...(profile.comment !== undefined ? { comment: profile.comment } : {}),
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new BerthError('CONFLICT', 'that email belongs to another user');
      throw err;
    }
    this.events.emit('user.updated', operator, { userId: id, fields: Object.keys(profile).filter((k) => profile[k as keyof typeof profile] !== undefined) });
  }

  /**
   * Changes a password. Users changing their own must give the old one; administrators resetting someone
   * else's need not. The new password must meet the policy and differ from the old one.
   */
  async changePassword(id: number, newPassword: string, oldPassword: string | undefined, requireOld: boolean, operator: Operator): Promise<void> {
    const user = await this.get(id);
    if (requireOld && !(oldPassword !== undefined && (await verifyPassword(oldPassword, user.password_hash)))) {
      throw new BerthError('FORBIDDEN_ACTION', 'the old password is not correct');
    }
    checkPasswordPolicy(newPassword);
    if (await verifyPassword(newPassword, user.password_hash)) throw new BerthError('BAD_REQUEST', 'the new password must differ from the old one');
    await usersRepo.update(this.db, id, { password_hash: await hashPassword(newPassword) });
    this.onCredentialsChanged();
    this.events.emit('user.password_changed', operator, { userId: id });
  }

  async setSysadmin(id: number, sysadmin: boolean, operator: Operator): Promise<void> {
    await this.get(id);
    await usersRepo.update(this.db, id, { sysadmin });
    this.onCredentialsChanged();
    this.events.emit('user.sysadmin_changed', operator, { userId: id, sysadmin });
  }

  async delete(id: number, operator: Operator): Promise<void> {
    const user = await this.get(id);
    if (user.username === 'admin') throw new BerthError('FORBIDDEN_ACTION', 'the built-in admin user cannot be deleted');
    await this.db.transaction(async (trx) => {
      await membersRepo.removeUserEverywhere(trx, id);
      await usersRepo.delete(trx, id);
    });
    this.onCredentialsChanged();
    this.events.emit('user.deleted', operator, { userId: id });
  }
}
