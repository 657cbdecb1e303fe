import { createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import type { SecretBox } from '../core/secret-box.ts';
import type { RetryPolicy } from '../jobs/backoff.ts';
import { PermanentJobError, type JobContext, type JobQueue } from '../jobs/job-queue.ts';
import { deliveriesRepo, type DeliveryRow } from './deliveries.repo.ts';
import { deliverJobType, targetOf, type DeliverJobPayload } from './deliveries.service.ts';
import { sendWebhook } from './webhook-sender.ts';
import { webhookPoliciesRepo, type WebhookPolicyRow } from './webhooks.repo.ts';

export const userAgent = 'Berth-Webhook/0.1';

export interface DeliveryJobDeps {
  db: Knex;
  secrets: SecretBox;
  /** Backoff between attempts (config `webhooks.retryInitialDelayMs`, `webhooks.retryMaxDelayMs`). */
  retry: { initialDelayMs: number; maxDelayMs: number };
  /** Attempts of a delivery enqueued without its own count (each policy sets its own). */
  defaultMaxAttempts: number;
}

/** `sha256=<hex HMAC-SHA256 of the body>`: receivers recompute it over the bytes they got, with the shared secret. */
export const signature = (secret: string, body: Buffer): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** The request headers of one attempt. */
export function deliveryHeaders(delivery: DeliveryRow, attempt: number, authHeader: string | null, secret: string | null): Record<string, string> {
  return {
    'content-type': delivery.content_type,
    'user-agent': userAgent,
    'x-berth-event': delivery.event_type,
    'x-berth-delivery': String(delivery.id),
    'x-berth-attempt': String(attempt),
    ...(authHeader ? { authorization: authHeader } : {}),
    ...(secret ? { 'x-berth-signature-256': signature(secret, delivery.body) } : {}),
  };
}

async function giveUp(deps: DeliveryJobDeps, delivery: DeliveryRow, why: string): Promise<never> {
  await deliveriesRepo.fail(deps.db, { id: delivery.id }, why);
  throw new PermanentJobError(why);
}

/**
 * One attempt of a delivery. The attempt is logged before the request goes out and completed after it, so a
 * process killed mid-request leaves an unfinished attempt in the log rather than a request nobody recorded; its
 * number comes from the log, not from the job. A delivery already done is not sent again.
 */
async function deliver(deps: DeliveryJobDeps, job: JobContext<DeliverJobPayload>): Promise<unknown> {
  const delivery = await deliveriesRepo.find(deps.db, job.payload.deliveryId);
  if (!delivery) throw new PermanentJobError(`delivery ${job.payload.deliveryId} no longer exists (its policy was deleted)`);
  if (delivery.status !== 'pending') return { status: delivery.status };
  const policy: WebhookPolicyRow | undefined = await webhookPoliciesRepo.findById(deps.db, delivery.policy_id);
  if (!policy) throw new PermanentJobError(`webhook policy ${delivery.policy_id} no longer exists`);
  if (!policy.enabled) return giveUp(deps, delivery, 'the webhook policy was disabled before the delivery went out');
  const target = targetOf(policy, delivery);
  if (!target) return giveUp(deps, delivery, `the webhook policy no longer has the target ${delivery.address}`);

  const secret = policy.secret_encrypted ? deps.secrets.open(policy.secret_encrypted) : null;
  const authHeader = target.auth_header_sealed ? deps.secrets.open(target.auth_header_sealed) : null;
  const attempt = await deliveriesRepo.startAttempt(deps.db, delivery.id);
  const response = await sendWebhook({
    address: delivery.address,
    headers: deliveryHeaders(delivery, attempt.attempt, authHeader, secret),
    body: delivery.body,
    timeoutMs: policy.timeout_seconds * 1000,
    skipCertVerify: target.skip_cert_verify,
    signal: job.signal,
  });
  const succeeded = response.error === null;
  // The job's last attempt decides the delivery failed; one handed back at shutdown is not its last.
  const final = succeeded ? 'succeeded' : job.attempt >= job.maxAttempts && !job.signal.aborted ? 'failed' : 'pending';
  await deliveriesRepo.finishAttempt(
    deps.db,
    { id: attempt.id, deliveryId: delivery.id, durationMs: response.durationMs, statusCode: response.statusCode, error: response.error, succeeded },
    final,
  );
  if (!succeeded) throw new Error(`attempt ${attempt.attempt}: ${response.error}`);
  return { attempt: attempt.attempt, statusCode: response.statusCode };
}

/**
 * How deliveries retry: exponential backoff, each wait three times the previous one from the configured first
 * wait (10 s, 30 s, 90 s, 270 s, 810 s by default), capped, with up to 20% jitter; each policy sets its attempts.
 */
export function deliveryRetryPolicy(deps: Pick<DeliveryJobDeps, 'retry' | 'defaultMaxAttempts'>): RetryPolicy {
  return { maxAttempts: deps.defaultMaxAttempts, initialDelayMs: deps.retry.initialDelayMs, factor: 3, maxDelayMs: deps.retry.maxDelayMs, jitter: 0.2 };
}

/** Declares `webhook.deliver`. */
export function defineDeliveryJob(jobs: JobQueue, deps: DeliveryJobDeps): void {
  jobs.define<DeliverJobPayload>(deliverJobType, {
    retry: deliveryRetryPolicy(deps),
    // Above the longest policy timeout (300 s): the request's own timeout always fires first.
    timeoutMs: 330_000,
    handle: (job) => deliver(deps, job),
  });
}
