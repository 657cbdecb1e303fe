import { describe, expect, it } from 'vitest';
import { retryDelay } from '../jobs/backoff.ts';
import type { DeliveryRow } from './deliveries.repo.ts';
import { deliveryHeaders, deliveryRetryPolicy, signature } from './delivery.job.ts';

describe('webhook delivery attempts', () => {
  it('sign the body with HMAC-SHA256 (RFC 4231 test case 2)', () => {
    expect(signature('Jefe', Buffer.from('what do ya want for nothing?'))).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('carry the content type, the event, delivery and attempt, the auth header and the signature', () => {
    const delivery = { id: 42, event_type: 'PUSH_ARTIFACT', content_type: 'application/cloudevents+json', body: Buffer.from('{"a":1}') } as DeliveryRow;
    expect(deliveryHeaders(delivery, 3, 'Bearer x', 'k')).toEqual({
      'content-type': 'application/cloudevents+json',
      'user-agent': expect.stringMatching(/^Berth-Webhook\//),
      'x-berth-event': 'PUSH_ARTIFACT',
      'x-berth-delivery': '42',
      'x-berth-attempt': '3',
      authorization: 'Bearer x',
      'x-berth-signature-256': signature('k', delivery.body),
    });
    const bare = deliveryHeaders(delivery, 1, null, null);
    expect(bare).not.toHaveProperty('authorization');
    expect(bare).not.toHaveProperty('x-berth-signature-256');
  });

  it('back off exponentially between attempts, from the configured first wait, up to the cap', () => {
    const policy = deliveryRetryPolicy({ retry: { initialDelayMs: 10_000, maxDelayMs: 1_800_000 }, defaultMaxAttempts: 6 });
    const waits = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelay(policy, attempt, 6, () => 0));
    expect(waits).toEqual([10_000, 30_000, 90_000, 270_000, 810_000, null]);
    const capped = deliveryRetryPolicy({ retry: { initialDelayMs: 10_000, maxDelayMs: 60_000 }, defaultMaxAttempts: 6 });
    expect(retryDelay(capped, 4, 10, () => 0)).toBe(60_000);
    // Jitter only ever shortens a wait.
    expect(retryDelay(policy, 1, 6, () => 1)).toBe(8_000);
  });
});
