import { createHash } from 'node:crypto';
import type { RekorEntry } from './rekor.ts';
import { verifyByCertificate, verifyByKeys, type Context, type SignedContent } from './signers.ts';
import { decodeBase64, fail, isObject, parseJson, quote, type Verdict } from './verdict.ts';

/** The Sigstore bundle media types (sigstore/protobuf-specs `Bundle.media_type`), newest first. */
export const bundleMediaTypes = [
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
] as const;

export const inTotoPayloadType = 'application/vnd.in-toto+json';
const statementTypes = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];

/** DSSE's pre-authentication encoding: what a DSSE signature is over. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

function tlogEntries(material: Record<string, unknown>): RekorEntry[] | { error: string } {
  const raw = material.tlogEntries ?? [];
  if (!Array.isArray(raw)) return { error: 'verificationMaterial.tlogEntries is not a list' };
  const out: RekorEntry[] = [];
  for (const [i, e] of raw.entries()) {
    const keyId = isObject(e) && isObject(e.logId) ? decodeBase64(e.logId.keyId) : undefined;
    const integratedTime = isObject(e) ? int(e.integratedTime) : undefined;
    const logIndex = isObject(e) ? int(e.logIndex) : undefined;
    if (!isObject(e) || !keyId || integratedTime === undefined || logIndex === undefined) return { error: `verificationMaterial.tlogEntries[${i}] is malformed` };
    const set = isObject(e.inclusionPromise) ? decodeBase64(e.inclusionPromise.signedEntryTimestamp) : undefined;
    out.push({ body: decodeBase64(e.canonicalizedBody) ?? Buffer.alloc(0), integratedTime, logIndex, logId: keyId.toString('hex'), ...(set ? { signedEntryTimestamp: set } : {}) });
  }
  return out;
}

type Material = { kind: 'key'; hint?: string } | { kind: 'certificate'; leaf: Buffer; chain: Buffer[] };

function material(m: Record<string, unknown>): Material | { error: string } {
  if (isObject(m.publicKey)) return { kind: 'key', ...(typeof m.publicKey.hint === 'string' ? { hint: m.publicKey.hint } : {}) };
  const certs = isObject(m.x509CertificateChain) && Array.isArray(m.x509CertificateChain.certificates) ? m.x509CertificateChain.certificates : isObject(m.certificate) ? [m.certificate] : undefined;
  if (!certs) return { error: 'the bundle has no verification material (publicKey, certificate or x509CertificateChain)' };
  const ders = certs.map((c) => (isObject(c) ? decodeBase64(c.rawBytes) : undefined));
  if (ders.length === 0 || ders.some((d) => !d)) return { error: 'a certificate of the bundle is not base64 DER' };
  return { kind: 'certificate', leaf: ders[0]!, chain: ders.slice(1) as Buffer[] };
}

interface Subject {
  digest: string;
  manifest: Buffer;
}

/** What the bundle's content signs, and whether it names the subject. */
function content(bundle: Record<string, unknown>, subject: Subject): ({ signed: Omit<SignedContent, 'tlogEntries'>; names: string | undefined; details: Record<string, unknown> }) | { error: string } {
  const [alg, hex] = subject.digest.split(':') as [string, string];
  if (isObject(bundle.messageSignature)) {
    const ms = bundle.messageSignature;
    const signature = decodeBase64(ms.signature);
    if (!signature) return { error: 'messageSignature.signature is missing or not base64' };
    // The message is the subject's manifest; the (unsigned) message digest only says which artifact it claims.
    const md = isObject(ms.messageDigest) ? ms.messageDigest : undefined;
    const claimed = md ? decodeBase64(md.digest)?.toString('hex') : undefined;
    const mdAlg = md?.algorithm === 'SHA2_512' ? 'sha512' : 'sha256';
    const manifestSha256 = createHash('sha256').update(subject.manifest).digest('hex');
    return { signed: { data: subject.manifest, signature, entry: { dataSha256: manifestSha256 } }, names: claimed ? `${mdAlg}:${claimed}` : subject.digest, details: { content: 'message-signature' } };
  }
  if (isObject(bundle.dsseEnvelope)) {
    const env = bundle.dsseEnvelope;
    const payload = decodeBase64(env.payload);
    if (!payload || typeof env.payloadType !== 'string') return { error: 'the DSSE envelope has no base64 payload or no payloadType' };
    if (!Array.isArray(env.signatures) || env.signatures.length !== 1) return { error: 'a DSSE envelope in a bundle must carry exactly one signature' };
    const signature = isObject(env.signatures[0]) ? decodeBase64(env.signatures[0].sig) : undefined;
    if (!signature) return { error: 'the DSSE signature is not base64' };
    if (env.payloadType !== inTotoPayloadType) return { error: `the DSSE payload type is ${quote(env.payloadType)}, not ${inTotoPayloadType}` };
    const statement = parseJson(payload);
    if (!isObject(statement) || !statementTypes.includes(statement._type as string) || !Array.isArray(statement.subject)) return { error: 'the DSSE payload is not an in-toto statement' };
    const digests = statement.subject.map((s) => (isObject(s) && isObject(s.digest) ? s.digest[alg] : undefined)).filter((d): d is string => typeof d === 'string');
    const names = digests.includes(hex) ? subject.digest : digests[0] ? `${alg}:${digests[0]}` : undefined;
    return {
      signed: { data: pae(env.payloadType, payload), signature, entry: { payloadSha256: createHash('sha256').update(payload).digest('hex') } },
      names,
      details: { content: 'dsse-envelope', predicateType: statement.predicateType ?? null },
    };
  }
  return { error: 'the bundle has neither a messageSignature nor a dsseEnvelope' };
}

/**
 * Verifies a Sigstore bundle attached to `subject` offline: a keyed bundle with the trust policy's keys (its hint
 * tried first), a certificate bundle through the Fulcio certificates, identities and Rekor keys (`signers.ts`). A
 * message signature must verify over the subject's manifest; a DSSE envelope must hold an in-toto statement whose
 * subject is the artifact. RFC 3161 timestamps are not verified (reported in the details).
 */
export function verifySigstoreBundle(bytes: Buffer, subject: Subject, ctx: Context): Verdict {
  const bundle = parseJson(bytes);
  if (!isObject(bundle)) return fail('the bundle is not a JSON object');
  if (!bundleMediaTypes.includes(bundle.mediaType as (typeof bundleMediaTypes)[number])) return fail(`the bundle's mediaType is ${quote(bundle.mediaType)}, not a Sigstore bundle version Berth reads`);
  if (!isObject(bundle.verificationMaterial)) return fail('the bundle has no verificationMaterial');
  const mat = material(bundle.verificationMaterial);
  if ('error' in mat) return fail(mat.error);
  const entries = tlogEntries(bundle.verificationMaterial);
  if ('error' in entries) return fail(entries.error);
  const c = content(bundle, subject);
  if ('error' in c) return fail(c.error);

  const signed: SignedContent = { ...c.signed, tlogEntries: entries };
  const verdict = mat.kind === 'key' ? verifyByKeys(signed, ctx, mat.hint) : verifyByCertificate(signed, mat.leaf, mat.chain, ctx);
  const details: Record<string, unknown> = { ...c.details, ...verdict.details, bundleMediaType: bundle.mediaType, verificationMaterial: mat.kind };
  const tsd = bundle.verificationMaterial.timestampVerificationData;
  if (isObject(tsd) && Array.isArray(tsd.rfc3161Timestamps) && tsd.rfc3161Timestamps.length) details.rfc3161Timestamps = 'present, not verified: Berth does not check RFC 3161 timestamps';
  if (c.names !== subject.digest) {
    const what = c.names ? `the bundle signs ${c.names.slice(0, 80)}, not ${subject.digest}: a signature of another artifact` : `the bundle does not name ${subject.digest}`;
    return fail(verdict.valid ? `signed by ${verdict.trustedBy}, but ${what}` : `${verdict.reason}; ${what}`, details);
  }
  return { ...verdict, details };
}
