import type { AttemptRow, DeliveryRow, DeliveryStatus, DeliverySummary } from './deliveries.repo.ts';
import type { DeliveryWithAttempts } from './deliveries.service.ts';
import { maskedHeader } from './policy-input.ts';
import type { WebhookPolicyRow } from './webhooks.repo.ts';
import type { LastTrigger } from './webhooks.service.ts';

const iso = (d: Date | string | null): string | undefined => (d === null ? undefined : new Date(d).toISOString());

/**
 * Harbor's WebhookPolicy, plus Berth's `filters`, `timeout_seconds`, `max_attempts` and `has_secret`. Secrets
 * never appear: a target's auth header shows as a mask (send the mask back to keep it), the HMAC secret only as
 * `has_secret`.
 */
export function presentPolicy(p: WebhookPolicyRow): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    project_id: p.project_id,
    targets: p.targets.map((t) => ({
      type: t.type,
      address: t.address,
      ...(t.auth_header_sealed ? { auth_header: maskedHeader } : {}),
      skip_cert_verify: t.skip_cert_verify,
      payload_format: t.payload_format,
    })),
    event_types: p.event_types,
    creator: p.creator,
    creation_time: iso(p.created_at),
    update_time: iso(p.updated_at),
    enabled: p.enabled,
    filters: { repositories: p.filters.repositories ?? [], tags: p.filters.tags ?? [] },
    has_secret: p.secret_encrypted !== null,
    timeout_seconds: p.timeout_seconds,
    max_attempts: p.max_attempts,
  };
}

/** Harbor's WebhookLastTrigger. */
export const presentLastTrigger = (t: LastTrigger): Record<string, unknown> => ({
  policy_name: t.policy.name,
  event_type: t.eventType,
  enabled: t.policy.enabled,
  creation_time: iso(t.policy.created_at),
  ...(t.last ? { last_trigger_time: iso(t.last) } : {}),
});

/** Harbor's job status words for a delivery: waiting for its first attempt, retrying, done, given up. */
export function harborStatus(d: Pick<DeliverySummary, 'status' | 'attempts'>): 'Pending' | 'Running' | 'Success' | 'Error' {
  if (d.status === 'succeeded') return 'Success';
  if (d.status === 'failed') return 'Error';
  return d.attempts > 0 ? 'Running' : 'Pending';
}

/** The delivery statuses Harbor's status words stand for (a `q=status=...` filter). */
export const deliveryStatusOf: Record<string, DeliveryStatus> = { Pending: 'pending', Running: 'pending', Success: 'succeeded', Error: 'failed' };

const endTime = (d: DeliverySummary): string | undefined => (d.status === 'pending' ? undefined : iso(d.delivered_at ?? d.updated_at));

/**
 * Harbor's Execution for a delivery: Harbor runs one execution per event and target, with one task, which is
 * what a Berth delivery is. `extra_attrs` carries the event type and the payload as Harbor's does.
 */
export function presentExecution(d: DeliverySummary, body?: Buffer): Record<string, unknown> {
  const status = harborStatus(d);
  return {
    id: d.id,
    vendor_type: 'WEBHOOK',
    vendor_id: d.policy_id,
    status,
    status_message: d.last_error ?? '',
    metrics: {
      task_count: 1,
      success_task_count: status === 'Success' ? 1 : 0,
      error_task_count: status === 'Error' ? 1 : 0,
      pending_task_count: status === 'Pending' ? 1 : 0,
      running_task_count: status === 'Running' ? 1 : 0,
      scheduled_task_count: 0,
      stopped_task_count: 0,
    },
    trigger: 'EVENT',
    extra_attrs: {
      event_type: d.event_type,
      address: d.address,
      payload_format: d.payload_format,
      ...(body ? { payload: body.toString('utf8') } : {}),
      ...(d.redelivery_of ? { redelivery_of: d.redelivery_of } : {}),
    },
    start_time: iso(d.created_at),
    ...(endTime(d) ? { end_time: endTime(d) } : {}),
  };
}

/** Harbor's Task: the delivery's single task; `run_count` is its attempts. */
export function presentTask(d: DeliveryWithAttempts): Record<string, unknown> {
  const first = d.attempt_log[0];
  return {
    id: d.id,
    execution_id: d.id,
    status: harborStatus(d),
    status_message: d.last_error ?? '',
    run_count: d.attempts,
    extra_attrs: { address: d.address, last_status_code: d.last_status_code },
    creation_time: iso(d.created_at),
    update_time: iso(d.updated_at),
    ...(first ? { start_time: iso(first.started_at) } : {}),
    ...(endTime(d) ? { end_time: endTime(d) } : {}),
  };
}

const attemptLine = (d: Pick<DeliveryRow, 'address'>, a: AttemptRow): string => {
  const outcome = a.succeeded === null ? 'no result recorded (the attempt was cut off)' : a.succeeded ? `HTTP ${a.status_code}, delivered` : (a.error ?? 'failed');
  return `${iso(a.started_at)} attempt ${a.attempt}: POST ${d.address} -> ${outcome}${a.duration_ms !== null ? ` (${a.duration_ms} ms)` : ''}`;
};

/** The task log Harbor serves as text: one line per attempt. */
export const presentTaskLog = (d: DeliveryWithAttempts): string =>
  d.attempt_log.length ? `${d.attempt_log.map((a) => attemptLine(d, a)).join('\n')}\n` : `no attempt yet (${harborStatus(d)})\n`;

const presentAttempt = (a: AttemptRow): Record<string, unknown> => ({
  attempt: a.attempt,
  started_at: iso(a.started_at),
  duration_ms: a.duration_ms,
  status_code: a.status_code,
  error: a.error,
  succeeded: a.succeeded,
});

/** Berth's delivery log entry: the delivery, its state and every attempt; with `body`, the payload sent. */
export function presentDelivery(d: DeliveryWithAttempts, body?: Buffer): Record<string, unknown> {
  return {
    id: d.id,
    policy_id: d.policy_id,
    event_id: d.event_id,
    event_type: d.event_type,
    address: d.address,
    payload_format: d.payload_format,
    content_type: d.content_type,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    redelivery_of: d.redelivery_of,
    creation_time: iso(d.created_at),
    update_time: iso(d.updated_at),
    delivered_at: iso(d.delivered_at) ?? null,
    attempt_log: d.attempt_log.map(presentAttempt),
    ...(body ? { payload: body.toString('utf8') } : {}),
  };
}
