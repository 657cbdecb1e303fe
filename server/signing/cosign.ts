import { createHash } from 'node:crypto';
import { pemCertificates } from './certificates.ts';
import type { RekorEntry } from './rekor.ts';
import { verifyByCertificate, verifyByKeys, type Context } from './signers.ts';
import { decodeBase64, fail, isObject, parseJson, quote, type Verdict } from './verdict.ts';

/** cosign's layer media type and annotations (sigstore/cosign specs/SIGNATURE_SPEC.md). */
export const cosign = {
  simpleSigningType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  /** The artifactType (and config media type) of a signature cosign attaches as an OCI 1.1 referrer. */
  referrerArtifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  signatureAnnotation: 'dev.cosignproject.cosign/signature',
  certificateAnnotation: 'dev.sigstore.cosign/certificate',
  chainAnnotation: 'dev.sigstore.cosign/chain',
  bundleAnnotation: 'dev.sigstore.cosign/bundle',
  signatureType: 'cosign container image signature',
} as const;

/** The digest a simple-signing payload names (`critical.image.docker-manifest-digest`), or why it names none. */
export function payloadDigest(payload: Buffer): { digest: string; type: unknown; identity?: unknown } | { error: string } {
  const doc = parseJson(payload);
  if (!isObject(doc) || !isObject(doc.critical)) return { error: 'the payload is not a simple-signing document (no "critical" object)' };
  const critical = doc.critical;
  const image = isObject(critical.image) ? critical.image : undefined;
  // cosign writes `docker-manifest-digest`; early versions and containers/image use `Docker-manifest-digest`.
  const key = image && Object.keys(image).find((k) => k.toLowerCase() === 'docker-manifest-digest');
  const digest = key ? image[key] : undefined;
  if (typeof digest !== 'string') return { error: 'the payload names no critical.image.docker-manifest-digest' };
  const identity = isObject(critical.identity) ? critical.identity['docker-reference'] : undefined;
  return { digest, type: critical.type, identity };
}

/** cosign's `bundle` annotation: `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`. */
export function parseCosignBundle(text: string): RekorEntry | { error: string } {
  const doc = parseJson(text);
  if (!isObject(doc) || !isObject(doc.Payload)) return { error: 'the cosign bundle annotation is not a Rekor bundle' };
  const p = doc.Payload;
  const body = decodeBase64(p.body);
  const set = decodeBase64(doc.SignedEntryTimestamp);
  if (!body || !set || typeof p.integratedTime !== 'number' || typeof p.logIndex !== 'number' || typeof p.logID !== 'string' || !/^[0-9a-f]{64}$/i.test(p.logID)) {
    return { error: 'the cosign bundle annotation is malformed' };
  }
  return { body, signedEntryTimestamp: set, integratedTime: p.integratedTime, logIndex: p.logIndex, logId: p.logID };
}

/**
 * Verifies one signature of a cosign signature manifest: the layer's simple-signing payload (read by the caller,
 * size-limited) and its annotations. Key-based signatures verify with the trust policy's keys; a layer carrying a
 * certificate is verified as a Sigstore certificate signature (chain to the Fulcio certificates, identity, Rekor).
 * The payload must be a cosign container image signature naming `subjectDigest`.
 */
export function verifyCosignLayer(payload: Buffer, annotations: Record<string, unknown>, subjectDigest: string, ctx: Context): Verdict {
  const named = payloadDigest(payload);
  if ('error' in named) return fail(named.error);
  if (named.type !== cosign.signatureType) return fail(`the payload's critical.type is ${quote(named.type)}, not "${cosign.signatureType}"`);
  const signature = decodeBase64(annotations[cosign.signatureAnnotation]);
  if (!signature) return fail(`the layer's ${cosign.signatureAnnotation} annotation is missing or not base64`);

  const tlogEntries: RekorEntry[] = [];
  const bundleText = annotations[cosign.bundleAnnotation];
  if (typeof bundleText === 'string') {
    const entry = parseCosignBundle(bundleText);
    if ('error' in entry) return fail(entry.error);
    tlogEntries.push(entry);
  }
  const content = { data: payload, signature, tlogEntries, entry: { dataSha256: createHash('sha256').update(payload).digest('hex') } };
  const certPem = annotations[cosign.certificateAnnotation];
  let verdict: Verdict;
  if (typeof certPem === 'string' && certPem.trim()) {
    const leaf = pemCertificates(certPem)[0];
    if (!leaf) return fail(`the layer's ${cosign.certificateAnnotation} annotation holds no PEM certificate`);
    const chainPem = annotations[cosign.chainAnnotation];
    verdict = verifyByCertificate(content, leaf, typeof chainPem === 'string' ? pemCertificates(chainPem) : [], ctx);
  } else {
    verdict = verifyByKeys(content, ctx);
  }
  const details = { ...verdict.details, payloadDigest: named.digest, ...(typeof named.identity === 'string' ? { dockerReference: named.identity } : {}) };
  if (named.digest !== subjectDigest) {
    const who = verdict.valid ? `signed by ${verdict.trustedBy}, but ` : `${verdict.reason}; besides, `;
    return fail(`${who}the payload names ${named.digest.slice(0, 80)}, not ${subjectDigest}: a signature of another artifact`, details);
  }
  return { ...verdict, details };
}
