import type { ApprovalGate } from '../../policy/documents.ts';

/** Harbor's roles by rank, for "at least this role". */
const roleRank: Record<ApprovalGate['minRole'], number> = { limitedGuest: 1, guest: 2, developer: 3, maintainer: 4, projectAdmin: 5 };
const rankOfRoleId: Record<number, number> = { 5: 1, 3: 2, 2: 3, 4: 4, 1: 5 };

export interface ApprovalFact {
  id: number;
  approver: string;
  /** The approver's role id in the stage's project now (null: no longer a member), or sysadmin. */
  roleId: number | null;
  sysadmin: boolean;
  createdAt: Date;
}

export interface ApprovalGateInputs {
  approvals: ApprovalFact[];
  /** Who pushed the artifact first (null when it is not known). */
  pusher: string | null;
}

/**
 * N distinct approvers who hold at least `minRole` in the stage's project when the gate is evaluated (an approver
 * who lost the role no longer counts), never the artifact's pusher. Revoked approvals are not among the inputs.
 */
export function evaluateApprovalGate(gate: ApprovalGate, inputs: ApprovalGateInputs): { passed: boolean; reason: string; counted: string[] } {
  const need = roleRank[gate.minRole];
  const counted = new Set<string>();
  const notes: string[] = [];
  for (const a of inputs.approvals) {
    if (inputs.pusher !== null && a.approver === inputs.pusher) {
      notes.push(`${a.approver} pushed the artifact and cannot approve it`);
      continue;
    }
    const rank = a.sysadmin ? Infinity : a.roleId === null ? 0 : (rankOfRoleId[a.roleId] ?? 0);
    if (rank < need) {
      notes.push(`${a.approver} does not hold ${gate.minRole} or above in the stage's project`);
      continue;
    }
    counted.add(a.approver);
  }
  const names = [...counted].sort();
  if (inputs.pusher === null && inputs.approvals.length) notes.push("the artifact's pusher is not known, so no approval can be told apart from the pusher's");
  const passed = names.length >= gate.count && inputs.pusher !== null;
  if (passed) return { passed, reason: `approved by ${names.join(', ')} (${gate.count} ${gate.minRole} or above required)`, counted: names };
  const missing = `${names.length} of ${gate.count} required approvals by a ${gate.minRole} or above${names.length ? ` (${names.join(', ')})` : ''}`;
  return { passed: false, reason: notes.length ? `${missing}; ${[...new Set(notes)].join('; ')}` : `${missing}; missing approval`, counted: names };
}
