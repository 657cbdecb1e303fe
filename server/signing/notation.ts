import { CertificateError, certificateFacts, type CertificateFacts } from './certificates.ts';
import { anchorsFrom, verifyNotationChain } from './chain.ts';
import { describeKey, notationAlgorithm, verifyNotationSignature } from './keys.ts';
import { EnvelopeError, notaryHeaders, parseCose, parseJws, type NotaryEnvelope } from './notary-envelope.ts';
import type { Context } from './signers.ts';
import { fail, isObject, parseJson, pass, quote, type Verdict } from './verdict.ts';

export const notation = {
  artifactType: 'application/vnd.cncf.notary.signature',
  payloadType: 'application/vnd.cncf.notary.payload.v1+json',
  jws: 'application/jose+json',
  cose: 'application/cose',
} as const;

const supportedAlgs = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
// Critical headers Berth understands; any other (a verification plugin's, say) fails the signature, as the spec requires.
const understood: string[] = [notaryHeaders.signingScheme, notaryHeaders.authenticSigningTime, notaryHeaders.expiry, notaryHeaders.signingTime];

/** The artifact a signature is attached to, as the payload's `targetArtifact` must describe it. */
export interface NotationSubject {
  digest: string;
  mediaType: string;
  size: number;
}

/** Checks the protected headers; returns the signing time to check certificates at, or a failure. */
function headerProblems(env: NotaryEnvelope, now: Date): { times: Array<{ at: Date; what: string }>; signingTime: Date } | { reason: string } {
  if (!supportedAlgs.includes(env.alg)) return { reason: `unsupported signature algorithm ${quote(env.alg)} (Notation allows ${supportedAlgs.join(', ')})` };
  if (env.cty !== notation.payloadType) return { reason: `the content type is ${quote(env.cty)}, not ${notation.payloadType}` };
  if (!env.crit.includes(notaryHeaders.signingScheme)) return { reason: `crit must list ${notaryHeaders.signingScheme}` };
  const unknown = env.crit.filter((c) => !understood.includes(c));
  if (unknown.includes(notaryHeaders.verificationPlugin)) return { reason: `the signature requires verification plugin ${quote(env.headers.get(notaryHeaders.verificationPlugin))}, which Berth does not run` };
  if (unknown.length) return { reason: `the signature has critical headers Berth does not understand: ${unknown.slice(0, 5).join(', ')}` };
  for (const name of [notaryHeaders.authenticSigningTime, notaryHeaders.expiry]) {
    if (env.headers.has(name) && !env.crit.includes(name)) return { reason: `${name} is present but not listed in crit` };
  }
  const missing = env.crit.filter((c) => !env.headers.has(c));
  if (missing.length) return { reason: `crit lists ${missing.join(', ')}, which the protected header lacks` };
  const scheme = env.headers.get(notaryHeaders.signingScheme);
  const expiry = env.headers.get(notaryHeaders.expiry) as Date | undefined;
  if (expiry && now >= expiry) return { reason: `the signature expired at ${expiry.toISOString()}` };
  if (scheme === 'notary.x509') {
    const signingTime = env.headers.get(notaryHeaders.signingTime) as Date | undefined;
    if (!signingTime) return { reason: `signing scheme notary.x509 requires ${notaryHeaders.signingTime}` };
    // Without a verified timestamp the certificates must be valid when the signature was made and still now.
    return { signingTime, times: [{ at: signingTime, what: 'the signing time' }, { at: now, what: 'the verification time' }] };
  }
  if (scheme === 'notary.x509.signingAuthority') {
    const authentic = env.headers.get(notaryHeaders.authenticSigningTime) as Date | undefined;
    if (!authentic) return { reason: `signing scheme notary.x509.signingAuthority requires ${notaryHeaders.authenticSigningTime}` };
    return { signingTime: authentic, times: [{ at: authentic, what: 'the authentic signing time' }] };
  }
  return { reason: `unsupported signing scheme ${quote(scheme)}` };
}

function targetProblem(payload: Buffer, subject: NotationSubject): { digest?: string; problem?: string } {
  const doc = parseJson(payload);
  const target = isObject(doc) && isObject(doc.targetArtifact) ? doc.targetArtifact : undefined;
  if (!target || typeof target.digest !== 'string') return { problem: 'the payload has no targetArtifact descriptor with a digest' };
  if (target.digest !== subject.digest) return { digest: target.digest, problem: `the payload names ${target.digest.slice(0, 80)}, not ${subject.digest}: a signature of another artifact` };
  if (target.mediaType !== subject.mediaType) return { digest: target.digest, problem: `the payload describes media type ${quote(target.mediaType)}, the artifact is ${subject.mediaType}` };
  if (target.size !== subject.size) return { digest: target.digest, problem: `the payload describes ${typeof target.size === 'number' ? target.size : quote(target.size)} bytes, the artifact's manifest has ${subject.size}` };
  return { digest: target.digest };
}

/**
 * Verifies a Notation signature envelope (JWS or COSE) against the trust policy's certificates: the protected
 * headers, the signature with the leaf certificate's key and the `alg` that key requires, the certificate chain to a
 * trusted certificate (Notary's certificate requirements, validity at the signing time and now, or at the authentic
 * signing time), expiry, and the payload's target artifact against the subject. Timestamp countersignatures are
 * not verified (noted in the details), so `notary.x509` certificates must also still be valid now.
 */
export function verifyNotation(bytes: Buffer, mediaType: string, subject: NotationSubject, ctx: Context): Verdict {
  let env: NotaryEnvelope;
  try {
    if (mediaType === notation.jws) env = parseJws(bytes);
    else if (mediaType === notation.cose) env = parseCose(bytes);
    else return fail(`the signature envelope's media type is ${quote(mediaType)}, not ${notation.jws} or ${notation.cose}`);
  } catch (err) {
    if (err instanceof EnvelopeError) return fail(`malformed ${mediaType === notation.jws ? 'JWS' : 'COSE'} envelope: ${err.message}`);
    throw err;
  }
  const details: Record<string, unknown> = { envelope: env.format, algorithm: env.alg, signingScheme: env.headers.get(notaryHeaders.signingScheme) ?? null };
  if (env.signingAgent) details.signingAgent = env.signingAgent;
  if (env.hasTimestampSignature) details.timestampSignature = 'present, not verified: Berth does not check RFC 3161 timestamps';
  const target = targetProblem(env.payload, subject);
  if (target.digest) details.payloadDigest = target.digest;

  const verdict = trustVerdict(env, details, ctx);
  if (target.problem) return fail(verdict.valid ? `signed by ${verdict.trustedBy}, but ${target.problem}` : `${verdict.reason}; besides, ${target.problem}`, verdict.details);
  return verdict;
}

function trustVerdict(env: NotaryEnvelope, details: Record<string, unknown>, ctx: Context): Verdict {
  const headers = headerProblems(env, ctx.now);
  if ('reason' in headers) return fail(headers.reason, details);
  details.signingTime = headers.signingTime.toISOString();
  let chain: CertificateFacts[];
  try {
    chain = env.certificates.map(certificateFacts);
  } catch (err) {
    if (err instanceof CertificateError) return fail(`certificate chain: ${err.message}`, details);
    throw err;
  }
  const leaf = chain[0];
  if (!leaf) return fail('the signature carries no certificate chain', details);
  details.certificateSubject = leaf.subject;
  details.certificateFingerprint = leaf.fingerprint;
  let key;
  try {
    key = describeKey(leaf.cert.publicKey);
  } catch (err) {
    return fail(`signing certificate: ${(err as Error).message}`, details);
  }
  const required = notationAlgorithm(key);
  if (!required) return fail(`the signing certificate's key (${key.description}) is not one Notation signs with`, details);
  if (required !== env.alg) return fail(`alg ${env.alg} does not match the signing key (${key.description} requires ${required})`, details);
  if (!verifyNotationSignature(env.alg, key, env.signingInput, env.signature)) return fail("the signature does not verify with its signing certificate's key: the envelope was altered after signing", details);

  const { anchors, unusable } = anchorsFrom((ctx.trust.certificates ?? []).map((c) => ({ name: c.name, pem: c.certificate })));
  if (unusable.length) details.unusableCertificates = unusable;
  if (anchors.length === 0) return fail(`trust policy "${ctx.policyName}" has no usable certificates to verify a Notation signature with`, details);
  const result = verifyNotationChain(chain, anchors, headers.times);
  if (!result.ok) return fail(result.reason.includes('does not lead to any certificate') ? result.reason.replace('the trust policy', `trust policy "${ctx.policyName}"`) : result.reason, details);
  return pass(`certificate:${result.anchor.name}`, `verified: the certificate chain of ${JSON.stringify(leaf.subject)} leads to certificate "${result.anchor.name}" of trust policy "${ctx.policyName}"`, details);
}
