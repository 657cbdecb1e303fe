import { createHash, type Hash } from 'node:crypto';
import { BerthError } from './errors.ts';

/** Digest algorithms Berth accepts, with the length of their hex encoding. */
const algorithms = { sha256: 64, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof algorithms;

const digestPattern = /^(sha256|sha512):([a-f0-9]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parses `algorithm:hex`; null when the string is not a digest Berth can verify. */
export function parseDigest(value: string): ParsedDigest | null {
  const m = digestPattern.exec(value);
  if (!m) return null;
  const algorithm = m[1] as DigestAlgorithm;
  const hex = m[2]!;
  return hex.length === algorithms[algorithm] ? { algorithm, hex } : null;
}

/** Like parseDigest, but a malformed digest is the client's error. */
export function requireDigest(value: string | undefined | null): ParsedDigest {
  const parsed = value ? parseDigest(value) : null;
  if (!parsed) throw new BerthError('DIGEST_INVALID', `invalid digest: ${String(value ?? '').slice(0, 200)}`);
  return parsed;
}

export const newHash = (algorithm: DigestAlgorithm): Hash => createHash(algorithm);

export function digestOf(data: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
