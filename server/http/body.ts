import type { IncomingMessage } from 'node:http';
import { BerthError } from '../core/errors.ts';

/** The declared Content-Length, or undefined when the body is chunked or absent. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new BerthError('SIZE_INVALID', `invalid Content-Length "${raw.slice(0, 40)}"`);
  return Number(raw);
}

/** True when the request carries a body to consume (a declared length above zero, or chunked transfer). */
export function hasBody(req: IncomingMessage): boolean {
  const length = contentLength(req);
  return length !== undefined ? length > 0 : req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a small body whole (manifests), refusing more than `limit` bytes with 413 before buffering it.
 */
export async function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = contentLength(req);
  const tooLarge = (): BerthError => new BerthError('TOO_LARGE', `body exceeds the limit of ${limit} bytes`, { limit });
  if (declared !== undefined && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  if (declared !== undefined && total !== declared) throw new BerthError('SIZE_INVALID', `received ${total} bytes, Content-Length declared ${declared}`);
  return Buffer.concat(chunks, total);
}
