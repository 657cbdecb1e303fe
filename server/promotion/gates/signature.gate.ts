import type { SignatureGate } from '../../policy/documents.ts';
import type { SignatureCheck } from '../../signing/signatures.ts';

export interface SignatureGateInputs {
  /** The trust policy the gate names, or null when no such policy is applied. */
  trustPolicy: { name: string; version: number } | null;
  checks: SignatureCheck[];
}

/**
 * Valid signatures by distinct trusted keys or certificates: the same key signing twice counts once, so "two
 * signatures" means two signers. Every signature found is listed in the inputs, with why it did or did not verify.
 */
export function evaluateSignatureGate(gate: SignatureGate, inputs: SignatureGateInputs): { passed: boolean; reason: string } {
  const needed = gate.minSignatures ?? 1;
  if (!inputs.trustPolicy) return { passed: false, reason: `trust policy "${gate.trustPolicy}" is not applied, so no signature can verify` };
  const counted = inputs.checks.filter((c) => !gate.formats || gate.formats.includes(c.format));
  const signers = [...new Set(counted.filter((c) => c.valid).map((c) => c.trustedBy ?? c.signatureDigest))].sort();
  const rejected = counted.filter((c) => !c.valid);
  if (signers.length >= needed) {
    return { passed: true, reason: `${signers.length} valid signature${signers.length === 1 ? '' : 's'} by ${signers.join(', ')} (trust policy ${gate.trustPolicy})` };
  }
  if (counted.length === 0) {
    const others = inputs.checks.length - counted.length;
    return { passed: false, reason: `unsigned: no ${gate.formats ? `${gate.formats.join('/')} ` : ''}signature is attached${others ? ` (${others} of another format ignored)` : ''}` };
  }
  const why = [...new Set(rejected.map((c) => c.reason))].slice(0, 3).join('; ');
  return {
    passed: false,
    reason: `${signers.length} of ${needed} required signatures verify against trust policy ${gate.trustPolicy}${why ? `: ${why}` : ''}`,
  };
}
