import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';

export interface PageRequest {
  page: number;
  pageSize: number;
}

/** Harbor's `page` (from 1) and `page_size` (default 10, at most 100). */
export function readHarborPage(ctx: Context): PageRequest {
  const int = (name: string, fallback: number, max: number): number => {
    const v = ctx.query[name];
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < 1) throw new BerthError('BAD_REQUEST', `${name} must be a positive integer`);
    return Math.min(Number(v), max);
  };
  return { page: int('page', 1, 1_000_000), pageSize: int('page_size', 10, 100) };
}

/** Sets `X-Total-Count` and the `Link` header (rel="prev"/"next") Harbor clients page with. */
export function setPageHeaders(ctx: Context, page: PageRequest, total: number): void {
  ctx.set('X-Total-Count', String(total));
  const links: string[] = [];
  const url = (p: number): string => {
    const q = new URLSearchParams(ctx.querystring);
    q.set('page', String(p));
    q.set('page_size', String(page.pageSize));
    return `<${ctx.path}?${q.toString()}>`;
  };
  if (page.page > 1) links.push(`${url(page.page - 1)}; rel="prev"`);
  if (page.page * page.pageSize < total) links.push(`${url(page.page + 1)}; rel="next"`);
  if (links.length) ctx.set('Link', links.join(', '));
}
