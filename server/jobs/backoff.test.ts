import { describe, expect, it } from 'vitest';
import { retryDelay, type RetryPolicy } from './backoff.ts';

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1000, factor: 2, maxDelayMs: 5000, jitter: 0 };

describe('retryDelay', () => {
  it('doubles the wait after each failed attempt up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(policy, a))).toEqual([1000, 2000, 4000, 5000]);
  });

  it('gives up after the last attempt, with the job’s own attempt count when it has one', () => {
    expect(retryDelay(policy, 5)).toBeNull();
    expect(retryDelay(policy, 2, 2)).toBeNull();
    expect(retryDelay(policy, 6, 8)).toBe(5000);
  });

  it('only ever shortens a wait by the jitter fraction', () => {
    const jittery = { ...policy, jitter: 0.5 };
    expect(retryDelay(jittery, 1, undefined, () => 0)).toBe(1000);
    expect(retryDelay(jittery, 1, undefined, () => 0.999999)).toBe(500);
  });
});
