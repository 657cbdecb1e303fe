import { CborError, Tagged, decodeCbor, encodeCbor, type CborValue } from './cbor.ts';
import { decodeBase64, decodeBase64Url, isObject, parseJson } from './verdict.ts';

/**
 * Notary Project signature envelopes (notaryproject/specifications `signature-envelope-jws.md` and
 * `signature-envelope-cose.md`) read into one shape, so the checks in `notation.ts` are written once.
 */
export interface NotaryEnvelope {
  format: 'jws' | 'cose';
  /** The algorithm as a JWS name (COSE's integer labels mapped): PS256 ... ES512, or what was found. */
  alg: string;
  cty: unknown;
  /** The names listed as critical. */
  crit: string[];
  /** The protected Notary headers present, by name (`io.cncf.notary.signingScheme` ...), times as Dates. */
  headers: Map<string, unknown>;
  payload: Buffer;
  /** Exactly the bytes the signature is over. */
  signingInput: Buffer;
  signature: Buffer;
  /** DER certificates, leaf first. */
  certificates: Buffer[];
  signingAgent?: string;
  hasTimestampSignature: boolean;
}

export const notaryHeaders = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
} as const;
const timeHeaders: string[] = [notaryHeaders.signingTime, notaryHeaders.authenticSigningTime, notaryHeaders.expiry];

export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a flattened JWS JSON envelope (`application/jose+json`). */
export function parseJws(bytes: Buffer): NotaryEnvelope {
  const doc = parseJson(bytes);
  if (!isObject(doc)) throw new EnvelopeError('the JWS envelope is not a JSON object');
  const extra = Object.keys(doc).filter((k) => !['payload', 'protected', 'header', 'signature'].includes(k));
  if (extra.length) throw new EnvelopeError(`the JWS envelope must be flattened JSON with payload, protected, header and signature only (found ${extra.slice(0, 3).join(', ')})`);
  const protectedBytes = decodeBase64Url(doc.protected);
  const payload = decodeBase64Url(doc.payload);
  const signature = decodeBase64Url(doc.signature);
  if (!protectedBytes || !payload || !signature) throw new EnvelopeError('the JWS protected header, payload or signature is missing or not base64url');
  const header = parseJson(protectedBytes);
  if (!isObject(header)) throw new EnvelopeError('the JWS protected header is not a JSON object');
  if (!isObject(doc.header) || !Array.isArray(doc.header.x5c)) throw new EnvelopeError('the JWS unprotected header has no x5c certificate chain');
  const certificates = doc.header.x5c.map((c, i) => {
    const der = decodeBase64(c);
    if (!der) throw new EnvelopeError(`x5c[${i}] is not base64 DER`);
    return der;
  });
  const headers = new Map<string, unknown>();
  for (const [k, v] of Object.entries(header)) {
    if (!k.startsWith('io.cncf.notary.')) continue;
    if (timeHeaders.includes(k)) {
      if (typeof v !== 'string' || !rfc3339.test(v) || Number.isNaN(Date.parse(v))) throw new EnvelopeError(`${k} is not an RFC 3339 time`);
      headers.set(k, new Date(v));
    } else headers.set(k, v);
  }
  if (header.crit !== undefined && (!Array.isArray(header.crit) || header.crit.some((c) => typeof c !== 'string'))) throw new EnvelopeError('crit is not a list of names');
  return {
    format: 'jws',
    alg: String(header.alg),
    cty: header.cty,
    crit: (header.crit as string[] | undefined) ?? [],
    headers,
    payload,
    signingInput: Buffer.from(`${doc.protected as string}.${doc.payload as string}`, 'ascii'),
    signature,
    certificates,
    ...(typeof doc.header['io.cncf.notary.signingAgent'] === 'string' ? { signingAgent: doc.header['io.cncf.notary.signingAgent'] } : {}),
    hasTimestampSignature: doc.header['io.cncf.notary.timestampSignature'] !== undefined,
  };
}

const coseAlgorithms: Record<number, string> = { [-37]: 'PS256', [-38]: 'PS384', [-39]: 'PS512', [-7]: 'ES256', [-35]: 'ES384', [-36]: 'ES512' };

function coseTime(name: string, v: CborValue): Date {
  // An epoch-based date/time (tag 1) in whole seconds.
  if (!(v instanceof Tagged) || v.tag !== 1 || typeof v.value !== 'number') throw new EnvelopeError(`${name} is not an epoch date/time (tag 1)`);
  return new Date(v.value * 1000);
}

/** Parses a COSE_Sign1_Tagged envelope (`application/cose`). */
export function parseCose(bytes: Buffer): NotaryEnvelope {
  let top: CborValue;
  try {
    top = decodeCbor(bytes);
  } catch (err) {
    throw new EnvelopeError(`the COSE envelope is not CBOR: ${(err as Error).message}`);
  }
  if (!(top instanceof Tagged) || top.tag !== 18 || !Array.isArray(top.value) || top.value.length !== 4) throw new EnvelopeError('the COSE envelope is not a COSE_Sign1_Tagged item');
  const [protectedBytes, unprotected, payload, signature] = top.value;
  if (!Buffer.isBuffer(protectedBytes) || !(unprotected instanceof Map) || !Buffer.isBuffer(payload) || !Buffer.isBuffer(signature)) throw new EnvelopeError('the COSE_Sign1 fields have the wrong types (a detached payload is not supported)');
  let prot: CborValue;
  try {
    prot = decodeCbor(protectedBytes);
  } catch (err) {
    if (err instanceof CborError) throw new EnvelopeError(`the COSE protected header is not CBOR: ${err.message}`);
    throw err;
  }
  if (!(prot instanceof Map)) throw new EnvelopeError('the COSE protected header is not a map');
  const algLabel = prot.get(1);
  const crit = prot.get(2) ?? [];
  if (!Array.isArray(crit) || crit.some((c) => typeof c !== 'string' && typeof c !== 'number')) throw new EnvelopeError('crit is not a list of labels');
  const headers = new Map<string, unknown>();
  for (const [k, v] of prot) {
    if (typeof k !== 'string' || !k.startsWith('io.cncf.notary.')) continue;
    headers.set(k, timeHeaders.includes(k) ? coseTime(k, v) : v);
  }
  const chain = unprotected.get(33) ?? prot.get(33);
  const list = Buffer.isBuffer(chain) ? [chain] : chain;
  if (!Array.isArray(list) || list.length === 0 || list.some((c) => !Buffer.isBuffer(c))) throw new EnvelopeError('the COSE envelope has no x5chain certificate chain');
  const agent = unprotected.get('io.cncf.notary.signingAgent');
  return {
    format: 'cose',
    alg: typeof algLabel === 'number' ? (coseAlgorithms[algLabel] ?? `COSE algorithm ${algLabel}`) : String(algLabel),
    cty: prot.get(3),
    crit: crit.map(String),
    headers,
    payload,
    // Sig_structure for COSE_Sign1: ["Signature1", body_protected, external_aad (empty), payload].
    signingInput: encodeCbor(['Signature1', protectedBytes, Buffer.alloc(0), payload]),
    signature,
    certificates: list as Buffer[],
    ...(typeof agent === 'string' ? { signingAgent: agent } : {}),
    hasTimestampSignature: unprotected.has('io.cncf.notary.timestampSignature'),
  };
}
