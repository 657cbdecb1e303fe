import type { GateResult } from '../client/api-types.ts';

/** Each gate as a row: stage, type, PASS or FAIL, the reason. */
export function gateTable(gates: Array<Pick<GateResult, 'stage' | 'type' | 'passed' | 'reason'>>): string[] {
  if (gates.length === 0) return ['  (no gates)'];
  const stageW = Math.max(5, ...gates.map((g) => g.stage.length));
  const typeW = Math.max(4, ...gates.map((g) => g.type.length));
  return [
    `  ${'STAGE'.padEnd(stageW)}  ${'GATE'.padEnd(typeW)}  RESULT  REASON`,
    ...gates.map((g) => `  ${g.stage.padEnd(stageW)}  ${g.type.padEnd(typeW)}  ${(g.passed ? 'pass' : 'FAIL').padEnd(6)}  ${g.reason}`),
  ];
}
