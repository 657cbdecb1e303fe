import type { SignatureCheck } from './signatures.ts';

/** What a format's verifier decides about one signature; the service adds where the signature was found. */
export type Verdict = Pick<SignatureCheck, 'valid' | 'trustedBy' | 'reason' | 'details'>;

export const fail = (reason: string, details?: Record<string, unknown>): Verdict => ({ valid: false, reason, ...(details ? { details } : {}) });

export const pass = (trustedBy: string, reason: string, details?: Record<string, unknown>): Verdict => ({ valid: true, trustedBy, reason, ...(details ? { details } : {}) });

/** The trust policy as verifiers see it: its document's spec and its name (for reasons). */
export type { TrustPolicySpec } from '../policy/documents.ts';

/** Strict base64 (standard alphabet, padding optional): undefined for anything else, so bad input is a reason, not garbage bytes. */
export function decodeBase64(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(compact, 'base64');
}

/** Strict base64url without padding (JWS). */
export function decodeBase64Url(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) return undefined;
  return Buffer.from(value, 'base64url');
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(bytes: Buffer | string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short, safe rendering of untrusted text for a reason. */
export const quote = (v: unknown): string => JSON.stringify(String(v).slice(0, 200));
