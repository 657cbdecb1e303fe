import type { ApprovalRow } from './approvals.repo.ts';
import type { GateResult } from './gates/gate-result.ts';
import type { PromotionRow } from './promotions.repo.ts';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export const presentGate = (g: GateResult): Record<string, unknown> => ({ type: g.type, stage: g.stage, passed: g.passed, reason: g.reason, gate: g.gate, inputs: g.inputs });

/** A promotion record: who, when, from, to, digest, tags, and every gate with the facts it was evaluated on. */
export const presentPromotion = (p: PromotionRow): Record<string, unknown> => ({
  id: p.id,
  ladder: p.ladder,
  ladder_version: p.ladder_version,
  status: p.status,
  from: { stage: p.from_stage, project: p.from_project, project_id: p.from_project_id, repository: `${p.from_project}/${p.repository}` },
  to: { stage: p.to_stage, project: p.to_project, project_id: p.to_project_id, repository: `${p.to_project}/${p.repository}` },
  digest: p.digest,
  tags: p.tags,
  operator: p.operator,
  creation_time: iso(p.created_at),
  gates: p.gates.map(presentGate),
});

export const presentApproval = (a: ApprovalRow): Record<string, unknown> => ({
  id: a.id,
  ladder: a.ladder,
  stage: a.stage,
  digest: a.digest,
  approver: a.approver,
  comment: a.comment,
  creation_time: iso(a.created_at),
  revoked: a.revoked_at !== null,
  revoked_by: a.revoked_by,
  revoke_time: iso(a.revoked_at),
  promotion_id: a.promotion_id,
});
