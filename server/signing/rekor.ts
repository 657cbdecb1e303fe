import { X509Certificate, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { sameKey, type PublicKeyInfo } from './keys.ts';
import { decodeBase64, isObject, parseJson } from './verdict.ts';

/** A Rekor (v1) transparency-log entry as a bundle or cosign's `bundle` annotation carries it. */
export interface RekorEntry {
  /** The canonicalized entry body (what Rekor stores), decoded; empty when the bundle does not carry it. */
  body: Buffer;
  integratedTime: number;
  logIndex: number;
  /** Hex sha256 of the log's public key (DER SPKI). */
  logId: string;
  /** The signed entry timestamp: the log's signature over the entry's canonical JSON. */
  signedEntryTimestamp?: Buffer;
}

/** What the entry must record: the signature, the signed data's sha256 or the DSSE payload's, and the signer's key. */
export interface EntryExpectation {
  signature: Buffer;
  key: KeyObject;
  /** hashedrekord: hex sha256 of the signed data. */
  dataSha256?: string;
  /** dsse / intoto: hex sha256 of the envelope's payload. */
  payloadSha256?: string;
}

export type EntryResult = { ok: true; integratedTime: Date; logId: string } | { ok: false; reason: string; cannotCheck?: boolean };

/**
 * Verifies a Rekor entry offline, as sigstore-go does for Rekor v1: the signed entry timestamp is an ECDSA (or other)
 * signature by the log's key over the canonical JSON `{"body","integratedTime","logID","logIndex"}` (keys sorted,
 * RFC 8785), and the body must record this very signature, key and digest. Inclusion proofs are not checked here.
 */
export function verifyRekorEntry(entry: RekorEntry, logKeys: PublicKeyInfo[], expect: EntryExpectation): EntryResult {
  if (entry.body.length === 0) return { ok: false, reason: 'the transparency-log entry carries no canonicalized body, so its signed entry timestamp cannot be checked offline', cannotCheck: true };
  if (!entry.signedEntryTimestamp) return { ok: false, reason: 'the transparency-log entry has no signed entry timestamp (inclusion promise), which is what can be checked offline', cannotCheck: true };
  const logKey = logKeys.find((k) => k.keyId === entry.logId.toLowerCase());
  if (!logKey) return { ok: false, reason: `the transparency-log entry is from log ${entry.logId.slice(0, 16)}..., whose key is not among the trust policy's Rekor keys`, cannotCheck: true };
  // The canonical form: keys in lexical order, no spaces; integers as JSON numbers.
  const canonical = JSON.stringify({ body: entry.body.toString('base64'), integratedTime: entry.integratedTime, logID: entry.logId.toLowerCase(), logIndex: entry.logIndex });
  let setValid = false;
  try {
    setValid = verify('sha256', Buffer.from(canonical), { key: logKey.key, dsaEncoding: 'der' }, entry.signedEntryTimestamp);
  } catch {
    setValid = false;
  }
  if (!setValid) return { ok: false, reason: 'the signed entry timestamp does not verify with the Rekor key of the trust policy (the entry was altered)' };
  const mismatch = bodyMismatch(entry.body, expect);
  if (mismatch) return { ok: false, reason: `the transparency-log entry does not record this signature: ${mismatch}` };
  return { ok: true, integratedTime: new Date(entry.integratedTime * 1000), logId: entry.logId };
}

function keyFromBase64Pem(value: unknown): KeyObject | undefined {
  const pem = decodeBase64(value)?.toString('utf8');
  if (!pem) return undefined;
  try {
    return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch {
    return undefined;
  }
}

function bodyMismatch(body: Buffer, expect: EntryExpectation): string | undefined {
  const doc = parseJson(body);
  if (!isObject(doc) || !isObject(doc.spec)) return 'its body is not a Rekor entry';
  const spec = doc.spec as Record<string, any>;
  const sameSig = (b64: unknown, double = false): boolean => {
    let raw = decodeBase64(b64);
    if (raw && double) raw = decodeBase64(raw.toString('utf8'));
    return !!raw && raw.equals(expect.signature);
  };
  const keyMatches = (b64: unknown): boolean => {
    const key = keyFromBase64Pem(b64);
    return !!key && sameKey(key, expect.key);
  };
  switch (doc.kind) {
    case 'hashedrekord': {
      if (!sameSig(spec.signature?.content)) return 'another signature';
      if (!keyMatches(spec.signature?.publicKey?.content)) return 'another signing key';
      if (!expect.dataSha256 || spec.data?.hash?.algorithm !== 'sha256' || spec.data?.hash?.value !== expect.dataSha256) return 'another digest';
      return undefined;
    }
    case 'dsse': {
      const sigs = Array.isArray(spec.signatures) ? spec.signatures : [];
      if (!sigs.some((s: any) => sameSig(s?.signature) && keyMatches(s?.verifier))) return 'another signature or signing key';
      if (!expect.payloadSha256 || spec.payloadHash?.value !== expect.payloadSha256) return 'another payload';
      return undefined;
    }
    case 'intoto': {
      // intoto v0.0.2 stores each signature base64-encoded twice.
      const sigs = Array.isArray(spec.content?.envelope?.signatures) ? spec.content.envelope.signatures : [];
      if (!sigs.some((s: any) => sameSig(s?.sig, true) && keyMatches(s?.publicKey))) return 'another signature or signing key';
      if (!expect.payloadSha256 || spec.content?.payloadHash?.value !== expect.payloadSha256) return 'another payload';
      return undefined;
    }
    default:
      return `an entry of kind ${JSON.stringify(String(doc.kind)).slice(0, 40)}, which Berth does not read`;
  }
}

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
