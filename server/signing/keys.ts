import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { TrustPolicySpec } from '../policy/documents.ts';

/** A public key of a trust policy (or of a certificate), ready to verify with. */
export interface PublicKeyInfo {
  key: KeyObject;
  /** `ecdsa-p256`, `rsa-3072`, `ed25519` ... */
  description: string;
  /** sha256 of the DER SubjectPublicKeyInfo, hex: Rekor's log id and RFC 6962's key id. */
  keyId: string;
}

export interface TrustedKey extends PublicKeyInfo {
  name: string;
}

const curves: Record<string, { name: string; hashes: string[] }> = {
  // cosign signs with SHA-256 for every curve by default; sigstore-go's default verifier hashes P-384 with
  // SHA-384 and P-521 with SHA-512, so those are accepted as well.
  prime256v1: { name: 'p256', hashes: ['sha256'] },
  secp384r1: { name: 'p384', hashes: ['sha384', 'sha256'] },
  secp521r1: { name: 'p521', hashes: ['sha512', 'sha256'] },
};

/** Describes a public key; throws for key types Berth does not verify with (DSA, DH, X25519 ...). */
export function describeKey(key: KeyObject): PublicKeyInfo {
  const details = key.asymmetricKeyDetails ?? {};
  let description: string;
  if (key.asymmetricKeyType === 'ec') {
    const curve = curves[details.namedCurve ?? ''];
    if (!curve) throw new Error(`unsupported elliptic curve ${details.namedCurve ?? '(unknown)'}`);
    description = `ecdsa-${curve.name}`;
  } else if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    description = `rsa-${details.modulusLength ?? 0}`;
  } else if (key.asymmetricKeyType === 'ed25519') {
    description = 'ed25519';
  } else {
    throw new Error(`unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}`);
  }
  const spki = key.export({ type: 'spki', format: 'der' });
  return { key, description, keyId: createHash('sha256').update(spki).digest('hex') };
}

/** Parses a PEM (SPKI) public key; RSA keys under 2048 bits are refused, as the trust policy schema says. */
export function parsePublicKey(pem: string): PublicKeyInfo {
  const key = createPublicKey({ key: pem, format: 'pem' });
  if (key.type !== 'public') throw new Error('not a public key');
  const info = describeKey(key);
  if (info.description.startsWith('rsa-') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('RSA keys must have 2048 bits or more');
  return info;
}

/** The trust policy's keys that parse; the others are reported so a check can say why a key never matched. */
export function trustedKeys(trust: TrustPolicySpec): { keys: TrustedKey[]; unusable: string[] } {
  const keys: TrustedKey[] = [];
  const unusable: string[] = [];
  for (const k of trust.keys ?? []) {
    try {
      keys.push({ name: k.name, ...parsePublicKey(k.publicKey) });
    } catch (err) {
      unusable.push(`${k.name}: ${(err as Error).message}`);
    }
  }
  return { keys, unusable };
}

/** Parses the Rekor public keys of a trust policy (unparseable ones are skipped and listed). */
export function rekorKeys(trust: TrustPolicySpec): { keys: PublicKeyInfo[]; unusable: string[] } {
  const keys: PublicKeyInfo[] = [];
  const unusable: string[] = [];
  (trust.sigstore?.rekorKeys ?? []).forEach((pem, i) => {
    try {
      keys.push(parsePublicKey(pem));
    } catch (err) {
      unusable.push(`rekorKeys[${i}]: ${(err as Error).message}`);
    }
  });
  return { keys, unusable };
}

function safeVerify(algorithm: string | null, data: Buffer, key: KeyObject | { key: KeyObject; padding?: number; saltLength?: number; dsaEncoding?: 'der' | 'ieee-p1363' }, signature: Buffer): boolean {
  try {
    return verify(algorithm, data, key, signature);
  } catch {
    // A signature of the wrong shape for the key (bad DER, wrong length) simply does not verify.
    return false;
  }
}

/**
 * Verifies a signature as cosign and sigstore-go make them: ECDSA (DER) over a SHA-256 digest of the data (SHA-384 /
 * SHA-512 also accepted for P-384 / P-521), RSA PKCS#1 v1.5 or PSS with SHA-256, Ed25519 over the data itself.
 * Returns the scheme that verified, or undefined.
 */
export function verifyCosignSignature(info: PublicKeyInfo, data: Buffer, signature: Buffer): string | undefined {
  const { key } = info;
  if (key.asymmetricKeyType === 'ed25519') return safeVerify(null, data, key, signature) ? 'ed25519' : undefined;
  if (key.asymmetricKeyType === 'ec') {
    const curve = curves[key.asymmetricKeyDetails?.namedCurve ?? ''];
    for (const hash of curve?.hashes ?? []) {
      if (safeVerify(hash, data, { key, dsaEncoding: 'der' }, signature)) return `ecdsa-${hash}`;
    }
    return undefined;
  }
  if (safeVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)) return 'rsa-pkcs1v15-sha256';
  if (safeVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature)) return 'rsa-pss-sha256';
  return undefined;
}

/** The JWS `alg` (and COSE algorithm) Notation requires for a signing key: fixed by its type and size. */
export function notationAlgorithm(info: PublicKeyInfo): 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | undefined {
  const table: Record<string, 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512'> = {
    'rsa-2048': 'PS256',
    'rsa-3072': 'PS384',
    'rsa-4096': 'PS512',
    'ecdsa-p256': 'ES256',
    'ecdsa-p384': 'ES384',
    'ecdsa-p521': 'ES512',
  };
  return table[info.description];
}

/** Verifies a Notation signature: RSASSA-PSS with the salt as long as the hash, or ECDSA with r||s (IEEE P1363). */
export function verifyNotationSignature(alg: string, info: PublicKeyInfo, data: Buffer, signature: Buffer): boolean {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('PS')) return safeVerify(hash, data, { key: info.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }, signature);
  if (alg.startsWith('ES')) return safeVerify(hash, data, { key: info.key, dsaEncoding: 'ieee-p1363' }, signature);
  return false;
}

/** True when two keys are the same public key. */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  try {
    return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
  } catch {
    return false;
  }
}
