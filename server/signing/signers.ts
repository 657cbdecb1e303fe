import type { TrustPolicySpec } from '../policy/documents.ts';
import { CertificateError, certificateFacts, type CertificateFacts } from './certificates.ts';
import { anchorsFrom, verifyFulcioChain, validityProblem } from './chain.ts';
import { describeKey, rekorKeys, trustedKeys, verifyCosignSignature, type TrustedKey } from './keys.ts';
import { verifyRekorEntry, type EntryExpectation, type RekorEntry } from './rekor.ts';
import { fail, pass, type Verdict } from './verdict.ts';

/**
 * The two ways a cosign signature or a Sigstore bundle is trusted: by a key of the trust policy, or by a signing
 * certificate chaining to the policy's Fulcio certificates with an allowed identity, at a signing time the policy can
 * vouch for. Shared by the cosign and the Sigstore bundle verifiers.
 */
export interface SignedContent {
  /** The bytes the signature is over (a simple-signing payload, a manifest, a DSSE PAE). */
  data: Buffer;
  signature: Buffer;
  /** What a transparency-log entry for this signature must record. */
  entry: Omit<EntryExpectation, 'signature' | 'key'>;
  tlogEntries: RekorEntry[];
}

export interface Context {
  trust: TrustPolicySpec;
  policyName: string;
  now: Date;
}

/** Verifies with the trust policy's keys, the hinted key first. Fails naming the policy when none verifies. */
export function verifyByKeys(content: SignedContent, ctx: Context, hint?: string): Verdict {
  const { keys, unusable } = trustedKeys(ctx.trust);
  const details: Record<string, unknown> = {};
  if (unusable.length) details.unusableKeys = unusable;
  if (keys.length === 0) return fail(`trust policy "${ctx.policyName}" has no usable public keys to verify a key-based signature with`, details);
  const hinted = hint ? keys.filter((k) => k.name === hint || k.keyId === hint.toLowerCase() || Buffer.from(k.keyId, 'hex').toString('base64') === hint) : [];
  let found: { key: TrustedKey; scheme: string } | undefined;
  for (const key of [...hinted, ...keys.filter((k) => !hinted.includes(k))]) {
    const scheme = verifyCosignSignature(key, content.data, content.signature);
    if (scheme) {
      found = { key, scheme };
      break;
    }
  }
  if (!found) {
    if (hinted.length) return fail(`the signature does not verify with key "${hinted[0]!.name}" of trust policy "${ctx.policyName}" that it names: the signed content was altered after signing`, details);
    return fail(`not signed by any key of trust policy "${ctx.policyName}" (${keys.length} key(s) tried): signed by another key, or the signed content was altered after signing`, details);
  }
  Object.assign(details, { key: found.key.name, keyType: found.key.description, algorithm: found.scheme });
  // A key is trusted as such; a log entry adds a timestamp. One that is present and checkable must still hold up.
  const logs = rekorKeys(ctx.trust);
  if (content.tlogEntries.length && logs.keys.length) {
    const results = content.tlogEntries.map((e) => verifyRekorEntry(e, logs.keys, { ...content.entry, signature: content.signature, key: found.key.key }));
    const bad = results.find((r) => !r.ok && !r.cannotCheck);
    if (bad && !bad.ok) return fail(bad.reason, details);
    const good = results.find((r) => r.ok);
    details.transparencyLog = good?.ok ? { logId: good.logId, integratedTime: good.integratedTime.toISOString() } : 'not checked: no entry from a log of the trust policy';
  }
  return pass(`key:${found.key.name}`, `verified with key "${found.key.name}" of trust policy "${ctx.policyName}"`, details);
}

/** Verifies a signature made with a (Fulcio) signing certificate; see the module comment for what is decided. */
export function verifyByCertificate(content: SignedContent, leafDer: Buffer, chainDers: Buffer[], ctx: Context): Verdict {
  let leaf: CertificateFacts;
  let chain: CertificateFacts[];
  try {
    leaf = certificateFacts(leafDer);
    chain = chainDers.map(certificateFacts);
  } catch (err) {
    if (err instanceof CertificateError) return fail(`signing certificate: ${err.message}`);
    throw err;
  }
  const details: Record<string, unknown> = { certificateSubject: leaf.subject, subjectAlternativeNames: leaf.subjectAlternativeNames, issuer: leaf.fulcioIssuer ?? null };
  let keyInfo;
  try {
    keyInfo = describeKey(leaf.cert.publicKey);
  } catch (err) {
    return fail(`signing certificate: ${(err as Error).message}`, details);
  }
  const scheme = verifyCosignSignature(keyInfo, content.data, content.signature);
  if (!scheme) return fail('the signature does not verify with the key of its own signing certificate: the signed content was altered after signing', details);
  details.algorithm = scheme;

  const { anchors, unusable } = anchorsFrom((ctx.trust.sigstore?.fulcioCertificates ?? []).map((pem, i) => ({ name: `fulcioCertificates[${i}]`, pem })));
  if (unusable.length) details.unusableFulcioCertificates = unusable;
  if (anchors.length === 0) return fail(`trust policy "${ctx.policyName}" has no Fulcio certificates: a certificate-based signature cannot be trusted`, details);

  // The signing time: a transparency-log timestamp the policy's Rekor keys vouch for. Without Rekor keys there is
  // nothing offline to vouch for a past time, so the certificate must be valid now (long-lived certificates of a
  // private CA pass; Fulcio's ten-minute certificates then fail, saying why).
  let signingTime = ctx.now;
  let when = 'the verification time';
  const logs = rekorKeys(ctx.trust);
  if (logs.keys.length) {
    if (content.tlogEntries.length === 0) return fail(`trust policy "${ctx.policyName}" has Rekor keys, so a certificate-based signature needs a transparency-log entry; this one has none`, details);
    const results = content.tlogEntries.map((e) => verifyRekorEntry(e, logs.keys, { ...content.entry, signature: content.signature, key: leaf.cert.publicKey }));
    const good = results.find((r) => r.ok);
    if (!good || !good.ok) return fail(results.map((r) => (r.ok ? '' : r.reason)).join('; '), details);
    signingTime = good.integratedTime;
    when = 'the transparency-log integration time';
    details.transparencyLog = { logId: good.logId, integratedTime: good.integratedTime.toISOString() };
  } else {
    details.transparencyLog = content.tlogEntries.length ? 'not checked: the trust policy has no Rekor keys' : 'none';
  }
  details.signingTime = signingTime.toISOString();
  const leafValidity = validityProblem(leaf, signingTime, when);
  if (leafValidity) return fail(leafValidity, details);
  const path = verifyFulcioChain(leaf, chain, anchors, signingTime, when);
  if (!path.ok) return fail(path.reason, details);

  const identities = ctx.trust.sigstore?.identities ?? [];
  const issuer = leaf.fulcioIssuer;
  const subject = leaf.subjectAlternativeNames[0];
  if (identities.length) {
    const allowed = identities.find((id) => id.issuer === issuer && leaf.subjectAlternativeNames.includes(id.subject));
    if (!allowed) return fail(`signed by ${subject ?? '(no subject alternative name)'} (issuer ${issuer ?? 'unknown'}), an identity trust policy "${ctx.policyName}" does not allow`, details);
    return pass(`identity:${allowed.subject} (${allowed.issuer})`, `verified: certificate of ${allowed.subject} (issuer ${allowed.issuer}) chains to the Fulcio certificates of trust policy "${ctx.policyName}"`, details);
  }
  details.identityConstraint = 'none: the trust policy lists no identities, so any certificate its Fulcio certificates issued counts';
  return pass(`identity:${subject ?? leaf.subject} (${issuer ?? 'unknown issuer'})`, `verified: certificate of ${subject ?? leaf.subject} chains to the Fulcio certificates of trust policy "${ctx.policyName}"`, details);
}
