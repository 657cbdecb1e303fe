/**
 * Berth's policy documents, as applied through `/api/v2.0/policies` (and `berth apply -f`). Each is
 * `{apiVersion: "berth.dev/v1", kind, metadata: {name, description?}, spec}`, validated against its JSON Schema in
 * `policies/schemas/` before it is stored, and versioned: every change of content is a new version.
 * These types are the schemas' TypeScript face; the schemas are the source of truth for what is accepted.
 */

export const policyApiVersion = 'berth.dev/v1';

export interface PolicyMetadata {
  /** Lower-case letters, digits and `-`, 1-63 characters. */
  name: string;
  description?: string;
}

/** Keys and certificates a signature may be verified against. */
export interface TrustPolicySpec {
  /** Public keys in PEM (SPKI): ECDSA P-256/P-384/P-521, RSA (2048 bits or more), Ed25519. Cosign key-based signatures and keyed Sigstore bundles. */
  keys?: Array<{ name: string; publicKey: string }>;
  /** X.509 trust anchors in PEM: Notation signatures must chain to one of them. */
  certificates?: Array<{ name: string; certificate: string }>;
  /**
   * An offline Sigstore trusted root: Fulcio CA certificates (PEM) that keyless bundles' signing certificates must
   * chain to, Rekor public keys (PEM) that transparency-log entries' signed timestamps must verify with, and the
   * identities (OIDC issuer and certificate subject) allowed to sign.
   */
  sigstore?: {
    fulcioCertificates?: string[];
    rekorKeys?: string[];
    identities?: Array<{ issuer: string; subject: string }>;
  };
}

export interface TrustPolicyDoc {
  apiVersion: typeof policyApiVersion;
  kind: 'TrustPolicy';
  metadata: PolicyMetadata;
  spec: TrustPolicySpec;
}

export type Severity = 'None' | 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';

/** Signatures by distinct trusted keys or certificates of the named trust policy. */
export interface SignatureGate {
  type: 'signature';
  trustPolicy: string;
  /** Valid signatures by distinct trusted keys or certificates required (default 1). */
  minSignatures?: number;
  /** Formats that count (default: all). */
  formats?: Array<'cosign' | 'sigstore-bundle' | 'notation'>;
}

/** The latest vulnerability report of the artifact (Harbor's v1.1 format). */
export interface VulnerabilityGate {
  type: 'vulnerability';
  /** The highest severity allowed; a finding above it fails the gate unless allowlisted. */
  maxSeverity: Severity;
  /** Refuse an artifact without a successful report (default true). */
  requireScan?: boolean;
  /** Refuse a report older than this. */
  maxReportAgeHours?: number;
  /** CVEs that do not count, each until its expiry (an expired entry counts again). */
  allowlist?: Array<{ id: string; expiresAt?: string; reason?: string }>;
}

/** Distinct approvers recorded for this artifact and the stage being entered. */
export interface ApprovalGate {
  type: 'approval';
  count: number;
  /** The least role an approver must hold in the stage's project (system administrators always qualify). */
  minRole: 'limitedGuest' | 'guest' | 'developer' | 'maintainer' | 'projectAdmin';
}

/** An attached artifact (OCI referrer) of a given type, e.g. test results or an SBOM. */
export interface ReferrerGate {
  type: 'referrer';
  artifactType: string;
  /** The referrer itself must carry a valid signature by the trust policy (default true, then `trustPolicy` is required). */
  signed?: boolean;
  trustPolicy?: string;
}

/** Labels the artifact must carry, or must not. */
export interface LabelsGate {
  type: 'labels';
  required?: string[];
  forbidden?: string[];
}

export type Gate = SignatureGate | VulnerabilityGate | ApprovalGate | ReferrerGate | LabelsGate;
export type GateType = Gate['type'];

export interface LadderStage {
  /** The stage's name (`dev`, `prod`, ...). */
  name: string;
  /** The project holding the stage's artifacts; created (private unless `public`) when the ladder is applied. */
  project: string;
  public?: boolean;
}

export interface PromotionLadderSpec {
  /** In promotion order; at least two. */
  stages: LadderStage[];
  /** The gates an artifact must pass to enter a stage (none listed: no gate). */
  transitions?: Array<{ to: string; gates: Gate[] }>;
  /** Tags applied by a promotion cannot be moved or deleted in the target stage (default true). */
  immutablePromotedTags?: boolean;
}

export interface PromotionLadderDoc {
  apiVersion: typeof policyApiVersion;
  kind: 'PromotionLadder';
  metadata: PolicyMetadata;
  spec: PromotionLadderSpec;
}

export type PolicyDocument = TrustPolicyDoc | PromotionLadderDoc;
export type PolicyKind = PolicyDocument['kind'];

/** A stored version of a document. */
export interface StoredPolicy<D extends PolicyDocument = PolicyDocument> {
  kind: D['kind'];
  name: string;
  version: number;
  document: D;
  createdBy: string;
  createdAt: Date;
}
