import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { deliveriesRepo, type AttemptRow, type DeliveryRow, type DeliveryStatus, type DeliverySummary, type NewDelivery } from './deliveries.repo.ts';
import type { WebhookPolicyRow } from './webhooks.repo.ts';

/** The job type that sends one delivery. */
export const deliverJobType = 'webhook.deliver';

export interface DeliverJobPayload {
  deliveryId: number;
}

/** A delivery to create, with the attempts its policy allows. */
export interface ScheduledDelivery {
  delivery: NewDelivery;
  maxAttempts: number;
}

export type DeliveryWithAttempts<D extends DeliverySummary = DeliverySummary> = D & { attempt_log: AttemptRow[] };

/** Which target of a policy a delivery goes to: the one at its index if it still has the address, else one that does. */
export function targetOf(policy: WebhookPolicyRow, delivery: Pick<DeliveryRow, 'target_index' | 'address'>) {
  const at = policy.targets[delivery.target_index];
  return at?.address === delivery.address ? at : policy.targets.find((t) => t.address === delivery.address);
}

/**
 * The delivery log: each delivery row is one event for one target, with the exact body to send, and exists
 * together with the `webhook.deliver` job that sends it (one transaction), so a delivery survives any restart.
 */
export class DeliveriesService {
  constructor(
    private readonly db: Knex,
    private readonly jobs: JobQueue,
  ) {}

  /** Stores deliveries and enqueues their jobs in one transaction; returns the delivery ids. */
  async schedule(items: ScheduledDelivery[]): Promise<number[]> {
    if (items.length === 0) return [];
    const ids = await this.db.transaction(async (trx) => {
      const created = await deliveriesRepo.insert(trx, items.map((i) => i.delivery));
      const jobs = await this.jobs.enqueueMany(
        created.map((id, n) => ({ type: deliverJobType, payload: { deliveryId: id } satisfies DeliverJobPayload, maxAttempts: items[n]!.maxAttempts, dedupeKey: `webhook-delivery:${id}` })),
        trx,
      );
      const jobByKey = new Map(jobs.map((j) => [j.dedupe_key, j.id]));
      for (const id of created) await deliveriesRepo.setJob(trx, id, jobByKey.get(`webhook-delivery:${id}`)!);
      return created;
    });
    // The jobs became visible with the commit: look for them now rather than at the next poll.
    this.jobs.kick();
    return ids;
  }

  async page(policy: WebhookPolicyRow, opts: { status?: DeliveryStatus; order?: 'asc' | 'desc'; offset: number; limit: number }): Promise<{ rows: DeliveryWithAttempts[]; total: number }> {
    const { rows, total } = await deliveriesRepo.page(this.db, { policyId: policy.id, ...opts });
    const attempts = await deliveriesRepo.attemptsOf(this.db, rows.map((r) => r.id));
    return { rows: rows.map((r) => ({ ...r, attempt_log: attempts.filter((a) => a.delivery_id === r.id) })), total };
  }

  async get(policy: WebhookPolicyRow, id: number): Promise<DeliveryWithAttempts<DeliveryRow>> {
    const row = await deliveriesRepo.find(this.db, id);
    if (!row || row.policy_id !== policy.id) throw new BerthError('NOT_FOUND', `delivery ${id} not found for webhook policy ${policy.id}`);
    return { ...row, attempt_log: await deliveriesRepo.attemptsOf(this.db, [id]) };
  }

  /** Sends a past delivery's stored body again as a new delivery (`redelivery_of` names the original). */
  async redeliver(policy: WebhookPolicyRow, id: number): Promise<number> {
    const original = await this.get(policy, id);
    if (!policy.enabled) throw new BerthError('PRECONDITION', `webhook policy ${policy.id} is disabled; enable it to redeliver`);
    if (!targetOf(policy, original)) throw new BerthError('PRECONDITION', `webhook policy ${policy.id} no longer has the target ${original.address}`);
    const [created] = await this.schedule([
      {
        delivery: {
          policy_id: policy.id,
          project_id: policy.project_id,
          event_id: original.event_id,
          event_type: original.event_type,
          target_index: original.target_index,
          address: original.address,
          payload_format: original.payload_format,
          content_type: original.content_type,
          body: original.body,
          redelivery_of: original.id,
        },
        maxAttempts: policy.max_attempts,
      },
    ]);
    return created!;
  }

  /** A delivery whose job died (out of attempts, or its worker's lease ran out on the last one) has failed. */
  async jobDied(jobId: number, error: string): Promise<void> {
    await deliveriesRepo.fail(this.db, { job_id: jobId }, error);
  }
}
