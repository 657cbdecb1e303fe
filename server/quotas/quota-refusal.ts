/**
 * A charge the database refused because it would pass the project's storage limit (SQLSTATE BQ001, raised by
 * `berth_push_artifact`, migration 006). Nothing was written. Services turn it into the client's 403 DENIED with
 * `quotaExceeded` and emit `quota.exceeded`.
 */
export class QuotaRefusal extends Error {
  override name = 'QuotaRefusal';

  constructor(
    /** Bytes the refused change would have added. */
    readonly requested: number,
    readonly used: number,
    readonly hard: number,
  ) {
    super(`storage quota exceeded: ${requested} bytes requested, ${Math.max(hard - used, 0)} remaining`);
  }
}

/** Rethrows a database error as a `QuotaRefusal` when it is one; other errors pass unchanged. */
export function rethrowQuotaRefusal(err: unknown): never {
  const e = err as { code?: string; detail?: string };
  if (e?.code === 'BQ001' && typeof e.detail === 'string') {
    const d = JSON.parse(e.detail) as { requested: number; used: number; hard: number };
    throw new QuotaRefusal(Number(d.requested), Number(d.used), Number(d.hard));
  }
  throw err;
}

