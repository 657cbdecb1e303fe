import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import { usersRepo } from '../users/users.repo.ts';
import { unknownAccountHash, verifyPassword } from '../users/passwords.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { RobotsService } from '../robots/robots.service.ts';
import { anonymous, type Principal } from './principal.ts';

interface CacheEntry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Verifies HTTP Basic credentials. The scrypt check costs tens of milliseconds by design, so a verified
 * credential is remembered for a short time under a hash of the header (the secret itself is never kept).
 */
export class BasicAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly throttle: LoginThrottle,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** The caller behind a `Basic ...` header; empty credentials (clients send `:` when they have none) are anonymous. */
  async authenticate(headerValue: string, address: string): Promise<Principal> {
    const key = createHash('sha256').update(headerValue).digest('base64');
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && hit.expiresAt > now) {
      // Credentials verified within the last minute stay valid even while guessers lock the account out.
      if (hit.principal.kind === 'user') this.throttle.success(hit.principal.username);
      if (hit.principal.kind === 'robot') this.throttle.success(hit.principal.name);
      return hit.principal;
    }

    const decoded = Buffer.from(headerValue.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (decoded === ':' || decoded === '') return anonymous;
    if (colon <= 0) throw new BerthError('UNAUTHORIZED', 'malformed basic credentials');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    this.throttle.check(username, address);
    const found = this.robots?.isRobotName(username) ? await this.robotLogin(username, password) : await this.userLogin(username, password);
    if (!found) {
      this.events.emit('user.login_failed', { name: username, address }, { username, address });
      const delay = this.throttle.failure(username, address);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      throw new BerthError('UNAUTHORIZED', 'invalid username or password');
    }
    this.throttle.success(username);
    this.events.emit('user.logged_in', { name: username, address }, { username, address, robot: found.principal.kind === 'robot' });

    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    // A robot's login is remembered no longer than the robot lives.
    this.cache.set(key, { principal: found.principal, expiresAt: Math.min(now + this.ttlMs, found.expiresAt ?? Infinity) });
    return found.principal;
  }

  /** Robot logins, once the robots service exists (it is built after this authenticator). */
  robots?: Pick<RobotsService, 'isRobotName' | 'authenticate'>;

  private async userLogin(username: string, password: string): Promise<{ principal: Principal; expiresAt: null } | null> {
    const user = await usersRepo.findByName(this.db, username);
    const ok = await verifyPassword(password, user?.password_hash ?? unknownAccountHash);
    if (!user || !ok) return null;
    return { principal: { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin }, expiresAt: null };
  }

  private robotLogin(name: string, secret: string): Promise<{ principal: Principal; expiresAt: number | null } | null> {
    return this.robots!.authenticate(name, secret);
  }

  /** Forgets cached credentials (after a password change or a user deletion). */
  clear(): void {
    this.cache.clear();
  }
}
