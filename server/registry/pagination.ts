import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';

const maxPage = 10_000;

/** Reads `n` and `last`; without `n` a page holds up to the maximum. */
export function readPage(ctx: Context): { limit: number; last?: string } {
  const n = ctx.query.n;
  const last = ctx.query.last;
  let limit = maxPage;
  if (n !== undefined) {
    // Any non-negative integer is a valid n; the registry may answer fewer (and links the next page).
    if (typeof n !== 'string' || !/^\d{1,20}$/.test(n)) throw new BerthError('PAGINATION_NUMBER_INVALID', `invalid n "${String(n).slice(0, 20)}": n must be a non-negative integer`);
    limit = Math.min(Number(n), maxPage);
  }
  if (last !== undefined && typeof last !== 'string') throw new BerthError('PAGINATION_NUMBER_INVALID', 'last must be given once');
  return { limit, last: last || undefined };
}

/** Sets the RFC 5988 `Link` header the spec uses to point at the next page. */
export function setNextLink(ctx: Context, path: string, limit: number, last: string): void {
  const query = new URLSearchParams({ n: String(limit), last });
  ctx.set('Link', `<${path}?${query.toString()}>; rel="next"`);
}
