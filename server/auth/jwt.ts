import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Compact JWS with ES256 (ECDSA P-256, SHA-256), the algorithm Docker's token authentication uses. Written on
 * node:crypto directly: two functions, no dependency, and nothing but ES256 is ever accepted (no `alg` tricks).
 */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id, derived from the public key (libtrust style is not needed: clients never verify tokens). */
  kid: string;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: key.kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${b64url(signature)}`;
}

export class JwtError extends Error {
  override name = 'JwtError';
}

/** Verifies the signature and returns the claims; time and audience checks are the caller's (they need context). */
export function verifyJwt(key: SigningKey, token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new JwtError('malformed token');
  }
  if (header.alg !== 'ES256') throw new JwtError('unsupported token algorithm');
  if (header.kid !== key.kid) throw new JwtError('token signed by an unknown key');
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new JwtError('bad token signature');
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new JwtError('malformed token claims');
  return claims;
}

export const newJwtId = (): string => randomBytes(16).toString('hex');

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return b64url(Buffer.from(der).subarray(-32)).slice(0, 24);
}
