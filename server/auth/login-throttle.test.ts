import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

describe('LoginThrottle', () => {
  const minute = 60_000;
  const throttle = (): LoginThrottle => new LoginThrottle({ maxFailures: 3, lockoutMs: minute, failureDelayMs: 100 });

  it('locks an account at the limit and lets it in again after the lockout', () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) t.failure('alice', '10.0.0.1', 0);
    expect(() => t.check('alice', '10.0.0.2', 1000)).toThrow(/too many failed logins; try again in 59 s/);
    expect(() => t.check('alice', '10.0.0.2', minute + 1)).not.toThrow();
  });

  it('forgets failures older than the window', () => {
    const t = throttle();
    t.failure('bob', 'a', 0);
    t.failure('bob', 'a', 1000);
    t.failure('bob', 'a', 2 * minute);
    expect(() => t.check('bob', 'b', 2 * minute + 1)).not.toThrow();
  });

  it('slows failures down after the third, capped', () => {
    const t = new LoginThrottle({ maxFailures: 100, lockoutMs: minute, failureDelayMs: 100 });
    const delays = Array.from({ length: 20 }, (_, i) => t.failure('carol', 'c', i));
    expect(delays.slice(0, 3)).toEqual([0, 0, 0]);
    expect(delays[3]).toBe(100);
    expect(delays[19]).toBe(1000);
  });

  it('locks an address at five times the account limit', () => {
    const t = throttle();
    for (let i = 0; i < 15; i++) t.failure(`user-${i}`, '10.9.9.9', 0);
    expect(() => t.check('someone-else', '10.9.9.9', 10)).toThrow(/too many failed logins/);
    expect(() => t.check('someone-else', '10.9.9.8', 10)).not.toThrow();
  });
});
