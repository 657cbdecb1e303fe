import type { Context } from 'koa';
import type { Logger } from '../core/logger.ts';
import { BerthError, errorTable } from '../core/errors.ts';

export type ErrorSurface = 'oci' | 'harbor';

/** Turns anything thrown into a typed error; unknown failures become INTERNAL and keep their cause for the log. */
const clientGone = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

export function toBerthError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const e = err as { status?: number; expose?: boolean; message?: string; type?: string; code?: string };
  // The client hung up mid-body: its failure, not ours, and nothing was kept (chunks are cut back).
  if ((e?.code && clientGone.has(e.code)) || e?.message === 'aborted') return new BerthError('BODY_INCOMPLETE');
  // Koa/http-errors thrown for protocol problems (e.g. aborted request bodies) carry a 4xx status.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.status === 413) return new BerthError('TOO_LARGE', e.message);
    if (e.status === 401) return new BerthError('UNAUTHORIZED', e.message);
    return new BerthError('BAD_REQUEST', e.expose ? e.message : undefined);
  }
  return new BerthError('INTERNAL');
}

/**
 * Writes an error in the surface's envelope: OCI `{"errors":[{code,message,detail}]}` on /v2, Harbor's
 * `{"errors":[{code,message}]}` on /api/v2.0. A 5xx hides its cause behind the request id and logs it.
 */
export function renderError(ctx: Context, err: unknown, surface: ErrorSurface, log: Logger): void {
  const e = toBerthError(err);
  const descriptor = errorTable[e.code];
  if (descriptor.status >= 500) {
    log.error({ err, requestId: ctx.state.requestId, method: ctx.method, path: ctx.path }, 'request failed');
  }
  ctx.status = descriptor.status;
  for (const [name, value] of Object.entries(e.headers)) ctx.set(name, value);
  const message = descriptor.status >= 500 && e.code === 'INTERNAL' ? `internal error, request id ${String(ctx.state.requestId)}` : e.message;
  const entry =
    surface === 'oci'
      ? { code: descriptor.oci, message, ...(e.detail !== undefined ? { detail: e.detail } : {}) }
      : // Harbor's envelope is {code, message}; a detail (a promotion's gates) rides along, clients ignore it.
        { code: descriptor.harbor, message, ...(e.detail !== undefined && descriptor.status < 500 ? { detail: e.detail } : {}) };
  // Koa drops the body of a HEAD response but keeps its headers, which is what HEAD should answer.
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ errors: [entry] });
}
