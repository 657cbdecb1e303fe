import type { LabelsGate } from '../../policy/documents.ts';

/** Labels the artifact must carry and labels it must not. */
export function evaluateLabelsGate(gate: LabelsGate, labels: string[]): { passed: boolean; reason: string } {
  const have = new Set(labels);
  const missing = (gate.required ?? []).filter((l) => !have.has(l));
  const present = (gate.forbidden ?? []).filter((l) => have.has(l));
  if (!missing.length && !present.length) return { passed: true, reason: labels.length ? `labels ${labels.join(', ')} satisfy the gate` : 'no label is required or forbidden here' };
  const parts = [];
  if (missing.length) parts.push(`missing required label${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (present.length) parts.push(`carries forbidden label${present.length > 1 ? 's' : ''} ${present.join(', ')}`);
  return { passed: false, reason: parts.join('; ') };
}
