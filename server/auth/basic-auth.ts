import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import { usersRepo } from '../users/users.repo.ts';
import { verifyPassword } from '../users/passwords.ts';
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
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** The caller behind a `Basic ...` header; empty credentials (clients send `:` when they have none) are anonymous. */
  async authenticate(headerValue: string): Promise<Principal> {
    const key = createHash('sha256').update(headerValue).digest('base64');
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && hit.expiresAt > now) return hit.principal;

    const decoded = Buffer.from(headerValue.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (decoded === ':' || decoded === '') return anonymous;
    if (colon <= 0) throw new BerthError('UNAUTHORIZED', 'malformed basic credentials');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const user = await usersRepo.findByName(this.db, username);
    // Verify against a dummy hash when the user is unknown so timing does not reveal which usernames exist.
    const ok = await verifyPassword(password, user?.password_hash ?? dummyHash);
    if (!user || !ok) throw new BerthError('UNAUTHORIZED', 'invalid username or password');

    const principal: Principal = { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin };
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { principal, expiresAt: now + this.ttlMs });
    return principal;
  }

  /** Forgets cached credentials (after a password change or a user deletion). */
  clear(): void {
    this.cache.clear();
  }
}

const dummyHash = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
