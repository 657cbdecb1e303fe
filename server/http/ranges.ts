import { BerthError } from '../core/errors.ts';

export interface ByteRange {
  start: number;
  end: number;
}

const notSatisfiable = (size: number, why: string): BerthError =>
  new BerthError('RANGE_NOT_SATISFIABLE', why, undefined, { 'Content-Range': `bytes */${size}` });

/**
 * Parses a single-range `Range: bytes=...` header against a resource of `size` bytes (RFC 9110). Returns undefined
 * for no header; multi-range requests are answered with the whole content, which the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  // A range unit the server does not know must be ignored (RFC 9110 section 14.2): serve the whole content.
  if (!/^\s*bytes=/i.test(header)) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!m) {
    if (/^bytes=[\d\s,-]+$/i.test(header.trim()) && header.includes(',')) return undefined;
    throw notSatisfiable(size, `malformed Range header "${header.slice(0, 80)}"`);
  }
  const [, a, b] = m;
  if (!a && !b) throw notSatisfiable(size, 'empty byte range');
  if (!a) {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) throw notSatisfiable(size, 'empty suffix range');
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(a);
  const end = b ? Math.min(Number(b), size - 1) : size - 1;
  if (start >= size || (b && Number(b) < start)) throw notSatisfiable(size, `range ${a}-${b} is outside 0-${size - 1}`);
  return { start, end };
}

/**
 * Parses an upload chunk's `Content-Range`. The distribution spec writes it `<start>-<end>`; some clients send the
 * HTTP form `bytes <start>-<end>/<total>`, accepted too.
 */
export function parseContentRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(header.trim());
  if (!m) throw new BerthError('BLOB_UPLOAD_INVALID', `malformed Content-Range "${header.slice(0, 80)}"`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new BerthError('BLOB_UPLOAD_INVALID', `Content-Range end ${end} is before start ${start}`);
  return { start, end };
}
