import { createHash } from 'node:crypto';

export const digestOf = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The hex part of a sha256 digest, checked, so a digest can name a file without a path trick. */
export function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new Error(`unsupported digest ${digest.slice(0, 80)} (only sha256 is supported)`);
  return m[1]!;
}
