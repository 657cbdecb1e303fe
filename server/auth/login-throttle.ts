import { BerthError } from '../core/errors.ts';
import { Lru } from '../core/lru.ts';

export interface ThrottleOptions {
  /** Failed logins per account (and, times five, per source address) before logins are refused. */
  maxFailures: number;
  /** How long refused logins stay refused, and the window failures are counted in. */
  lockoutMs: number;
  /** Extra wait added to each failed attempt after the third, so guessing slows down before it is stopped. */
  failureDelayMs: number;
}

interface Counter {
  failures: number;
  /** Start of the counting window; failures older than lockoutMs are forgotten. */
  since: number;
  lockedUntil: number;
}

/**
 * Brute-force protection for password logins: repeated failures for one account, or from one address, are
 * slowed down and then refused with 429 for a while. Counters live in memory (bounded), per process.
 */
export class LoginThrottle {
  private readonly counters = new Lru<string, Counter>(100_000);

  constructor(private readonly options: ThrottleOptions) {}

  /** Refuses with 429 (and Retry-After) while the account or the address is locked out. */
  check(username: string, address: string, now = Date.now()): void {
    for (const key of this.keys(username, address)) {
      const c = this.counters.get(key);
      if (c && c.lockedUntil > now) {
        const seconds = Math.ceil((c.lockedUntil - now) / 1000);
        throw new BerthError('TOOMANYREQUESTS', `too many failed logins; try again in ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
      }
    }
  }

  /** Records a failure; returns how long to hold the answer back. */
  failure(username: string, address: string, now = Date.now()): number {
    let worst = 0;
    const [account, source] = this.keys(username, address);
    for (const [key, limit] of [[account, this.options.maxFailures], [source, this.options.maxFailures * 5]] as const) {
      let c = this.counters.get(key);
      if (!c || now - c.since > this.options.lockoutMs) c = { failures: 0, since: now, lockedUntil: 0 };
      c.failures++;
      if (c.failures >= limit) c.lockedUntil = now + this.options.lockoutMs;
      this.counters.set(key, c);
      worst = Math.max(worst, c.failures);
    }
    return Math.min(Math.max(worst - 3, 0) * this.options.failureDelayMs, 10 * this.options.failureDelayMs);
  }

  /** A successful login clears the account's failures (the address keeps its count: it may be guessing others). */
  success(username: string): void {
    this.counters.delete(`u:${username}`);
  }

  private keys(username: string, address: string): [string, string] {
    return [`u:${username}`, `a:${address}`];
  }
}
