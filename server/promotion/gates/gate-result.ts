import type { GateType } from '../../policy/documents.ts';

/** One gate's verdict, with what it looked at: the promotion record keeps both, so an auditor can see why. */
export interface GateResult {
  /** A gate of the ladder, or `target`: the target stage itself refusing (an immutable tag, its quota). */
  type: GateType | 'target';
  /** The stage whose entry the gate guards. */
  stage: string;
  passed: boolean;
  /** One sentence a person can act on: what passed, or exactly what is missing. */
  reason: string;
  /** The gate as declared in the ladder. */
  gate: Record<string, unknown>;
  /** A snapshot of the facts it was evaluated on (signatures checked, report summary, approvals, ...). */
  inputs: Record<string, unknown>;
}
