import type { ReferrerGate } from '../../policy/documents.ts';
import type { SignatureCheck } from '../../signing/signatures.ts';

export interface ReferrerGateInputs {
  /** The referrers of the given artifactType attached to the subject, each with its own signatures' checks. */
  referrers: Array<{ digest: string; checks: SignatureCheck[] }>;
  trustPolicy: { name: string; version: number } | null;
}

/** An attached artifact (an SBOM, test results) of the type must exist, and when `signed`, carry a valid signature. */
export function evaluateReferrerGate(gate: ReferrerGate, inputs: ReferrerGateInputs): { passed: boolean; reason: string } {
  if (inputs.referrers.length === 0) return { passed: false, reason: `missing required referrer: no ${gate.artifactType} is attached` };
  if (gate.signed === false) return { passed: true, reason: `${inputs.referrers.length} ${gate.artifactType} attached` };
  if (!inputs.trustPolicy) return { passed: false, reason: `trust policy "${gate.trustPolicy ?? ''}" is not applied, so the ${gate.artifactType} cannot be verified` };
  const signed = inputs.referrers.find((r) => r.checks.some((c) => c.valid));
  if (signed) {
    const by = signed.checks.find((c) => c.valid)!.trustedBy;
    return { passed: true, reason: `${gate.artifactType} ${signed.digest} is attached, signed by ${by ?? 'a trusted key'}` };
  }
  const why = [...new Set(inputs.referrers.flatMap((r) => r.checks.map((c) => c.reason)))].slice(0, 2).join('; ');
  return { passed: false, reason: `the attached ${gate.artifactType} carries no valid signature of trust policy ${gate.trustPolicy}${why ? `: ${why}` : ' (unsigned)'}` };
}
