import type { Queryable } from '../db/types.ts';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryRow {
  id: number;
  policy_id: number;
  project_id: number;
  event_id: string;
  event_type: string;
  target_index: number;
  address: string;
  payload_format: string;
  content_type: string;
  body: Buffer;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  redelivery_of: number | null;
  job_id: number | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

/** A delivery without its body, as lists show it. */
export type DeliverySummary = Omit<DeliveryRow, 'body'>;

export interface AttemptRow {
  id: number;
  delivery_id: number;
  attempt: number;
  started_at: Date;
  duration_ms: number | null;
  status_code: number | null;
  error: string | null;
  /** Null while the attempt is under way (or when the process died during it). */
  succeeded: boolean | null;
}

export type NewDelivery = Pick<
  DeliveryRow,
  'policy_id' | 'project_id' | 'event_id' | 'event_type' | 'target_index' | 'address' | 'payload_format' | 'content_type' | 'body'
> & { redelivery_of?: number };

const summaryColumns = [
  'id',
  'policy_id',
  'project_id',
  'event_id',
  'event_type',
  'target_index',
  'address',
  'payload_format',
  'content_type',
  'status',
  'attempts',
  'last_status_code',
  'last_error',
  'redelivery_of',
  'job_id',
  'created_at',
  'updated_at',
  'delivered_at',
];

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
const summary = <T extends { id: number | string; job_id: number | string | null; redelivery_of: number | string | null }>(r: T): T =>
  ({ ...r, id: Number(r.id), job_id: num(r.job_id), redelivery_of: num(r.redelivery_of) }) as T;

/** webhook_deliveries and webhook_attempts: SQL only. */
export const deliveriesRepo = {
  /** Inserts deliveries in order; returns their ids in the same order. */
  async insert(db: Queryable, deliveries: NewDelivery[]): Promise<number[]> {
    if (deliveries.length === 0) return [];
    const ids: number[] = [];
    // One row at a time keeps the ids in input order (a multi-row RETURNING does not promise an order).
    for (const d of deliveries) {
      const [row] = await db('webhook_deliveries').insert(d).returning<Array<{ id: number | string }>>('id');
      ids.push(Number(row!.id));
    }
    return ids;
  },

  async setJob(db: Queryable, id: number, jobId: number): Promise<void> {
    await db('webhook_deliveries').where({ id }).update({ job_id: jobId });
  },

  async find(db: Queryable, id: number): Promise<DeliveryRow | undefined> {
    const row = await db('webhook_deliveries').where({ id }).first<DeliveryRow | undefined>();
    // PGlite hands bytea back as a Uint8Array, node-postgres as a Buffer.
    return row && { ...summary(row), body: Buffer.from(row.body) };
  },

  async page(
    db: Queryable,
    opts: { policyId: number; status?: DeliveryStatus; order?: 'asc' | 'desc'; offset: number; limit: number },
  ): Promise<{ rows: DeliverySummary[]; total: number }> {
    const base = db('webhook_deliveries').where({ policy_id: opts.policyId });
    if (opts.status) base.where({ status: opts.status });
    const [{ count }] = (await base.clone().count<Array<{ count: string | number }>>('* as count')) as [{ count: string | number }];
    const rows = await base.clone().orderBy('id', opts.order ?? 'desc').offset(opts.offset).limit(opts.limit).select<DeliverySummary[]>(summaryColumns);
    return { rows: rows.map(summary), total: Number(count) };
  },

  async attemptsOf(db: Queryable, deliveryIds: number[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await db('webhook_attempts').whereIn('delivery_id', deliveryIds).orderBy(['delivery_id', 'attempt']).select<AttemptRow[]>('*');
    return rows.map((r) => ({ ...r, id: Number(r.id), delivery_id: Number(r.delivery_id) }));
  },

  /**
   * Logs the next attempt of a delivery before its request goes out: its number is the attempts logged so far plus
   * one, whatever the job queue counts (a shutdown hands a job back without counting its attempt).
   */
  async startAttempt(db: Queryable, deliveryId: number): Promise<{ id: number; attempt: number }> {
    const result = await db.raw(
      `with next as (
         insert into webhook_attempts (delivery_id, attempt)
         select ?, count(*) + 1 from webhook_attempts where delivery_id = ?
         returning id, attempt
       )
       update webhook_deliveries d set attempts = next.attempt, updated_at = now() from next where d.id = ?
       returning next.id, next.attempt`,
      [deliveryId, deliveryId, deliveryId],
    );
    const row = (result.rows as Array<{ id: number | string; attempt: number }>)[0]!;
    return { id: Number(row.id), attempt: row.attempt };
  },

  /** Completes an attempt and the delivery's state in one transaction. */
  async finishAttempt(
    db: Queryable,
    attempt: { id: number; deliveryId: number; durationMs: number; statusCode: number | null; error: string | null; succeeded: boolean },
    status: DeliveryStatus,
  ): Promise<void> {
    const write = async (trx: Queryable): Promise<void> => {
      await trx('webhook_attempts')
        .where({ id: attempt.id })
        .update({ duration_ms: attempt.durationMs, status_code: attempt.statusCode, error: attempt.error, succeeded: attempt.succeeded });
      await trx('webhook_deliveries')
        .where({ id: attempt.deliveryId })
        .update({
          status,
          last_status_code: attempt.statusCode,
          last_error: attempt.error,
          updated_at: trx.fn.now(),
          ...(attempt.succeeded ? { delivered_at: trx.fn.now() } : {}),
        });
    };
    await db.transaction(write);
  },

  /** Gives a pending delivery up with the reason (its policy went away or was disabled, or its job died). */
  async fail(db: Queryable, where: { id: number } | { job_id: number }, error: string): Promise<number> {
    return db('webhook_deliveries')
      .where(where)
      .where({ status: 'pending' })
      .update({ status: 'failed', last_error: db.raw('coalesce(last_error, ?)', [error.slice(0, 4000)]), updated_at: db.fn.now() });
  },

  /** When a delivery was last created for each policy and event type given (Harbor's last trigger time). */
  async lastTriggers(db: Queryable, pairs: Array<{ policy_id: number; event_type: string }>): Promise<Array<{ policy_id: number; event_type: string; last: Date | null }>> {
    if (pairs.length === 0) return [];
    // One index lookup per pair (policy_id, event_type, created_at), however many deliveries each has.
    const result = await db.raw(
      `select p.policy_id, p.event_type,
              (select max(d.created_at) from webhook_deliveries d where d.policy_id = p.policy_id and d.event_type = p.event_type) as last
       from jsonb_to_recordset(?::jsonb) as p(policy_id int, event_type text)`,
      [JSON.stringify(pairs)],
    );
    return result.rows as Array<{ policy_id: number; event_type: string; last: Date | null }>;
  },

  /** Deletes finished deliveries (and their attempts) older than the cutoff, in bounded batches. */
  async purgeFinished(db: Queryable, before: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await db('webhook_deliveries')
        .whereIn('id', db('webhook_deliveries').whereIn('status', ['succeeded', 'failed']).where('updated_at', '<', before).limit(batch).select('id'))
        .delete();
      total += n;
      if (n < batch) return total;
    }
  },
};
