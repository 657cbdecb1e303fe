/** How a job type retries: exponential backoff between attempts, capped, with jitter so retries do not bunch up. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt. */
  initialDelayMs: number;
  /** Each further wait is this many times the previous one. */
  factor: number;
  maxDelayMs: number;
  /** Up to this fraction of each wait is randomised (0: exact waits). */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1_000, factor: 2, maxDelayMs: 10 * 60_000, jitter: 0.2 };

/**
 * The wait after failed attempt `attempt` (1-based), or null when that was the last one. Jitter shortens a wait
 * by up to `jitter` of it, never lengthens it, so the documented schedule is an upper bound.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, maxAttempts = policy.maxAttempts, random: () => number = Math.random): number | null {
  if (attempt >= maxAttempts) return null;
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}
