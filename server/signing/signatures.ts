import type { TrustPolicySpec } from '../policy/documents.ts';

/** The signature formats Berth discovers and verifies. */
export type SignatureFormat = 'cosign' | 'sigstore-bundle' | 'notation';

/** One signature found for a subject, and what verifying it against a trust policy showed. */
export interface SignatureCheck {
  format: SignatureFormat;
  /** How it is attached: cosign's `sha256-<hex>.sig` tag, or an OCI 1.1 referrer (`subject`). */
  attachment: 'tag' | 'referrer';
  /** Digest of the signature manifest (the accessory). */
  signatureDigest: string;
  /** Which signature inside that manifest (a cosign `.sig` manifest holds one per layer). */
  index: number;
  valid: boolean;
  /** The trusted key, certificate or Sigstore identity that verified it (when valid). */
  trustedBy?: string;
  /** Why it verified, or exactly why not: "signed by a key not in trust policy x", "payload names sha256:... not ...". */
  reason: string;
  /** Facts worth recording (signer identity, certificate subject, signing time, algorithm). */
  details?: Record<string, unknown>;
}

/**
 * Finds every signature attached to an artifact in a repository (cosign tags, cosign and Sigstore bundle
 * referrers, Notation referrers) and verifies each against a trust policy. Reads manifests and (small,
 * size-limited) signature blobs from the registry's own stores; never throws for a bad signature, reports it.
 */
export interface SignatureVerifier {
  verify(repository: string, digest: string, trust: TrustPolicySpec & { name: string }): Promise<SignatureCheck[]>;
}
