import { createPublicKey, type KeyObject } from 'node:crypto';

export type KeyDescription = { ok: true; key: KeyObject; what: string } | { ok: false; reason: string };

const curves: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * A PEM public key of a type Berth verifies signatures with: ECDSA P-256, P-384 or P-521, RSA of 2048 bits or more, or
 * Ed25519. Anything else is refused with what it is, so a weak or unsupported key never silently fails every check.
 */
export function describeKey(pem: string): KeyDescription {
  if (!pem.includes('-----BEGIN')) return { ok: false, reason: 'is not PEM (expected -----BEGIN PUBLIC KEY-----)' };
  if (/PRIVATE KEY-----/.test(pem)) return { ok: false, reason: 'is a private key; give the public key only (a trust policy never holds secrets)' };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { ok: false, reason: 'is not a readable PEM public key' };
  }
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = curves[details.namedCurve ?? ''];
      return curve ? { ok: true, key, what: `ECDSA ${curve}` } : { ok: false, reason: `is an ECDSA key on curve ${details.namedCurve ?? 'unknown'}; P-256, P-384 and P-521 are supported` };
    }
    case 'rsa':
    case 'rsa-pss':
      return (details.modulusLength ?? 0) >= 2048 ? { ok: true, key, what: `RSA ${details.modulusLength}` } : { ok: false, reason: `is an RSA key of ${details.modulusLength} bits; at least 2048 are required` };
    case 'ed25519':
      return { ok: true, key, what: 'Ed25519' };
    default:
      return { ok: false, reason: `is a ${key.asymmetricKeyType ?? 'unknown'} key; ECDSA P-256/P-384/P-521, RSA (2048 bits or more) and Ed25519 are supported` };
  }
}
