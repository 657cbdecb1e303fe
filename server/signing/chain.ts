import { certificateFacts, oids, pemCertificates, type CertificateFacts } from './certificates.ts';

/** A trust anchor: a certificate of a trust policy, under the name the policy gives it. */
export interface Anchor {
  name: string;
  facts: CertificateFacts;
}

export type ChainResult = { ok: true; anchor: Anchor; path: CertificateFacts[] } | { ok: false; reason: string };

/** The trust policy's PEM certificates as anchors (a PEM may hold several); unparseable ones are listed. */
export function anchorsFrom(entries: Array<{ name: string; pem: string }>): { anchors: Anchor[]; unusable: string[] } {
  const anchors: Anchor[] = [];
  const unusable: string[] = [];
  for (const { name, pem } of entries) {
    const ders = pemCertificates(pem);
    if (ders.length === 0) unusable.push(`${name}: no PEM certificate`);
    for (const der of ders) {
      try {
        anchors.push({ name, facts: certificateFacts(der) });
      } catch (err) {
        unusable.push(`${name}: ${(err as Error).message}`);
      }
    }
  }
  return { anchors, unusable };
}

const label = (c: CertificateFacts): string => JSON.stringify(c.subject);

/** `parent` issued `child`: names match and the parent's key verifies the child's signature. */
export function issued(parent: CertificateFacts, child: CertificateFacts): boolean {
  try {
    return child.cert.checkIssued(parent.cert) && child.cert.verify(parent.cert.publicKey);
  } catch {
    return false;
  }
}

const selfSigned = (c: CertificateFacts): boolean => issued(c, c);

/** Why `c` is not valid at `at`, or undefined when it is. */
export function validityProblem(c: CertificateFacts, at: Date, when: string): string | undefined {
  if (at < c.notBefore) return `certificate ${label(c)} is not valid until ${c.notBefore.toISOString()} (${when} is ${at.toISOString()})`;
  if (at > c.notAfter) return `certificate ${label(c)} expired at ${c.notAfter.toISOString()} (${when} is ${at.toISOString()})`;
  return undefined;
}

/** Notation's leaf (code signing) certificate requirements, or the first one broken. */
export function notationLeafProblem(c: CertificateFacts): string | undefined {
  if (!c.keyUsage) return `signing certificate ${label(c)} has no key usage extension`;
  if (!c.keyUsage.critical) return `signing certificate ${label(c)} key usage is not marked critical`;
  if (!c.keyUsage.bits.has('digitalSignature')) return `signing certificate ${label(c)} key usage lacks digitalSignature`;
  const forbidden = ['keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;
  const extra = forbidden.filter((b) => c.keyUsage!.bits.has(b));
  if (extra.length) return `signing certificate ${label(c)} key usage must not include ${extra.join(', ')}`;
  if (c.basicConstraints?.ca) return `signing certificate ${label(c)} is a CA certificate`;
  const badEku = [oids.anyExtendedKeyUsage, oids.serverAuth, oids.clientAuth, oids.emailProtection, oids.timeStamping].filter((o) => c.extendedKeyUsage?.oids.includes(o));
  if (badEku.length) return `signing certificate ${label(c)} extended key usage must not include ${badEku.join(', ')} (only code signing)`;
  return undefined;
}

/** Notation's CA certificate requirements, `depth` being the number of CA certificates below it in the chain. */
export function notationCaProblem(c: CertificateFacts, depth: number): string | undefined {
  if (!c.basicConstraints?.critical || !c.basicConstraints.ca) return `CA certificate ${label(c)} must have critical basic constraints with cA true`;
  if (!c.keyUsage?.critical || !c.keyUsage.bits.has('keyCertSign')) return `CA certificate ${label(c)} must have a critical key usage with keyCertSign`;
  if (c.basicConstraints.pathLength !== undefined && depth > c.basicConstraints.pathLength) return `CA certificate ${label(c)} allows ${c.basicConstraints.pathLength} intermediate CA certificate(s) below it, the chain has ${depth}`;
  return undefined;
}

function keyProblem(c: CertificateFacts): string | undefined {
  if ([oids.sha1WithRsa, oids.ecdsaWithSha1].includes(c.signatureAlgorithm as typeof oids.sha1WithRsa)) return `certificate ${label(c)} is signed with SHA-1`;
  const d = c.cert.publicKey.asymmetricKeyDetails;
  if (c.cert.publicKey.asymmetricKeyType === 'rsa' && (d?.modulusLength ?? 0) < 2048) return `certificate ${label(c)} has an RSA key under 2048 bits`;
  return undefined;
}

/**
 * Verifies a Notation certificate chain (`x5c`, leaf first, ending with a root) as the Notary Project signature
 * specification requires: each certificate issued by the next, the last self-signed, the certificate requirements
 * (key usage, basic constraints, path length, no SHA-1, key sizes), validity at each of `times`, and one of the chain's
 * certificates being a trust anchor (matched by its bytes), or the root being issued by one.
 */
export function verifyNotationChain(chain: CertificateFacts[], anchors: Anchor[], times: Array<{ at: Date; what: string }>): ChainResult {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'the signature carries no certificate chain' };
  const root = chain[chain.length - 1]!;
  const leafProblem = notationLeafProblem(leaf);
  if (leafProblem) return { ok: false, reason: leafProblem };
  for (let i = 1; i < chain.length; i++) {
    const problem = notationCaProblem(chain[i]!, i - 1);
    if (problem) return { ok: false, reason: problem };
  }
  for (const c of chain) {
    const problem = keyProblem(c);
    if (problem) return { ok: false, reason: problem };
  }
  // Linkage after the requirements: OpenSSL's issuer check already refuses a CA without keyCertSign, and the
  // requirement says more precisely what is wrong.
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issued(chain[i + 1]!, chain[i]!)) return { ok: false, reason: `certificate chain is broken: ${label(chain[i + 1]!)} did not issue ${label(chain[i]!)}` };
  }
  let anchor = anchors.find((a) => chain.some((c) => c.cert.raw.equals(a.facts.cert.raw)));
  let path = chain;
  if (!anchor && !selfSigned(root)) {
    // A chain that stops below its root is completed with a trusted root that issued it.
    anchor = anchors.find((a) => issued(a.facts, root) && selfSigned(a.facts));
    if (anchor) path = [...chain, anchor.facts];
  }
  if (!selfSigned(path[path.length - 1]!)) return { ok: false, reason: `certificate chain does not end with a root certificate (${label(root)} is not self-signed)` };
  if (!anchor) return { ok: false, reason: `certificate chain (root ${label(root)}) does not lead to any certificate of the trust policy` };
  for (const { at, what } of times) {
    for (const c of path) {
      const problem = validityProblem(c, at, what);
      if (problem) return { ok: false, reason: problem };
    }
  }
  return { ok: true, anchor, path };
}

/**
 * Builds a path from a Sigstore signing certificate to the trust policy's Fulcio certificates: issuers are looked for
 * among the bundle's own certificates and the anchors; the path ends at the first anchor. Every certificate on the path
 * must be valid at `at`, issuers must be CA certificates, and the leaf must allow code signing, as sigstore-go checks.
 */
export function verifyFulcioChain(leaf: CertificateFacts, intermediates: CertificateFacts[], anchors: Anchor[], at: Date, when: string): ChainResult {
  if (!leaf.extendedKeyUsage?.oids.includes(oids.codeSigning)) return { ok: false, reason: `signing certificate ${label(leaf)} does not allow code signing (extended key usage)` };
  if (leaf.basicConstraints?.ca) return { ok: false, reason: `signing certificate ${label(leaf)} is a CA certificate` };
  const path = [leaf];
  const pool = [...intermediates, ...anchors.map((a) => a.facts)];
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    const issuer = pool.find((p) => p !== current && issued(p, current));
    if (!issuer) break;
    if (!issuer.basicConstraints?.ca) return { ok: false, reason: `certificate ${label(issuer)} issued ${label(current)} but is not a CA certificate` };
    path.push(issuer);
    const anchor = anchors.find((a) => a.facts.cert.raw.equals(issuer.cert.raw));
    if (anchor) {
      for (const c of path) {
        const problem = validityProblem(c, at, when);
        if (problem) return { ok: false, reason: problem };
      }
      return { ok: true, anchor, path };
    }
    current = issuer;
  }
  return { ok: false, reason: `signing certificate ${label(leaf)} does not chain to any Fulcio certificate of the trust policy` };
}
