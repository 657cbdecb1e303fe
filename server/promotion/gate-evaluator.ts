import type { Knex } from 'knex';
import { artifactsRepo } from '../artifacts/artifacts.repo.ts';
import type { ArtifactViewRow } from '../artifacts/artifact-views.repo.ts';
import { artifactViewsRepo } from '../artifacts/artifact-views.repo.ts';
import type { LabelsService } from '../labels/labels.service.ts';
import type { Gate, LadderStage, PromotionLadderDoc, StoredPolicy, TrustPolicyDoc } from '../policy/documents.ts';
import type { MembersService } from '../projects/members.service.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { manifestKindOf } from '../registry/media-types.ts';
import type { StoredReport } from '../scanning/reports.ts';
import type { SignatureCheck, SignatureVerifier } from '../signing/signatures.ts';
import { usersRepo } from '../users/users.repo.ts';
import { approvalsRepo } from './approvals.repo.ts';
import { evaluateApprovalGate } from './gates/approval.gate.ts';
import type { GateResult } from './gates/gate-result.ts';
import { evaluateLabelsGate } from './gates/labels.gate.ts';
import { evaluateReferrerGate } from './gates/referrer.gate.ts';
import { evaluateSignatureGate } from './gates/signature.gate.ts';
import { evaluateVulnerabilityGate } from './gates/vulnerability.gate.ts';
import { gatesInto } from './ladder.ts';
import { originsRepo } from './origins.ts';
import type { AllowlistOf } from './pull-guard.ts';

/** What promotion needs from the policy store, the report store and signature verification. */
export interface PromotionPorts {
  /** The ladder that has a stage in this project, if one does. */
  ladderFor(projectName: string): Promise<StoredPolicy<PromotionLadderDoc> | undefined>;
  ladder(name: string): Promise<StoredPolicy<PromotionLadderDoc> | undefined>;
  trustPolicy(name: string): Promise<StoredPolicy<TrustPolicyDoc> | undefined>;
  latestReport(digest: string): Promise<StoredReport | undefined>;
  signatures: SignatureVerifier;
}

/** The artifact being promoted, where it is now. */
export interface Candidate {
  repository: string;
  artifact: ArtifactViewRow;
}

/** Approvals each approval gate counted, so the promotion can mark them used. */
export interface Evaluation {
  results: GateResult[];
  passed: boolean;
  approvalIds: number[];
}

/**
 * Gathers each gate's facts (signatures verified against the named trust policy, the latest report, live approvals
 * with the approvers' current roles, referrers, labels) and evaluates the pure gates over them. Facts shared by
 * several gates (the same trust policy, the report) are read once per evaluation.
 */
export class GateEvaluator {
  constructor(
    private readonly db: Knex,
    private readonly ports: PromotionPorts,
    private readonly projects: ProjectsService,
    private readonly members: MembersService,
    private readonly labels: LabelsService,
    /** The CVE allowlist that applies in a project (Harbor's system or project list), added to the gate's own. */
    private readonly allowlistOf?: AllowlistOf,
  ) {}

  async evaluate(ladder: StoredPolicy<PromotionLadderDoc>, entered: LadderStage[], candidate: Candidate, now = new Date()): Promise<Evaluation> {
    const memo = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
      if (!memo.has(key)) memo.set(key, load());
      return memo.get(key) as Promise<T>;
    };
    const results: GateResult[] = [];
    const approvalIds: number[] = [];
    for (const stage of entered) {
      for (const gate of gatesInto(ladder.document, stage.name)) {
        const result = await this.one(gate, stage, ladder, candidate, now, once);
        results.push(result.result);
        if (result.result.passed) approvalIds.push(...result.approvalIds);
      }
    }
    return { results, passed: results.every((r) => r.passed), approvalIds };
  }

  private async one(
    gate: Gate,
    stage: LadderStage,
    ladder: StoredPolicy<PromotionLadderDoc>,
    c: Candidate,
    now: Date,
    once: <T>(key: string, load: () => Promise<T>) => Promise<T>,
  ): Promise<{ result: GateResult; approvalIds: number[] }> {
    const base = { type: gate.type, stage: stage.name, gate: gate as unknown as Record<string, unknown> };
    const trustOf = (name: string) => once(`trust:${name}`, () => this.ports.trustPolicy(name));
    const checksOf = (digest: string, trust: StoredPolicy<TrustPolicyDoc>) =>
      once(`sig:${trust.name}:${digest}`, () => this.ports.signatures.verify(c.repository, digest, { name: trust.name, ...trust.document.spec }));
    const policyRef = (t: StoredPolicy<TrustPolicyDoc> | undefined) => (t ? { name: t.name, version: t.version } : null);

    switch (gate.type) {
      case 'signature': {
        const trust = await trustOf(gate.trustPolicy);
        const checks: SignatureCheck[] = trust ? await checksOf(c.artifact.digest, trust) : [];
        const verdict = evaluateSignatureGate(gate, { trustPolicy: policyRef(trust), checks });
        return { result: { ...base, ...verdict, inputs: { trustPolicy: policyRef(trust), signatures: checks } }, approvalIds: [] };
      }
      case 'vulnerability': {
        const report = await once('report', () => this.reportFor(c.artifact));
        const projectList = await this.projectAllowlist(stage.project);
        const effective = projectList ? { ...gate, allowlist: [...(gate.allowlist ?? []), ...projectList.entries] } : gate;
        const verdict = evaluateVulnerabilityGate(effective, { report, now });
        const allowlists = { gate: gate.allowlist ?? [], project: projectList ? { source: projectList.source, cves: projectList.entries.map((e) => e.id), expiresAt: projectList.expiresAt } : null };
        return { result: { ...base, passed: verdict.passed, reason: verdict.reason, inputs: { evaluatedAt: now.toISOString(), report: verdict.summary, allowlists } }, approvalIds: [] };
      }
      case 'approval': {
        const target = await this.projects.findByName(stage.project);
        const live = await approvalsRepo.live(this.db, ladder.name, stage.name, c.artifact.digest);
        const facts = [];
        for (const a of live) {
          const user = a.approver_id !== null ? await usersRepo.findById(this.db, a.approver_id) : undefined;
          const roleId = target && user ? await this.members.roleOf(target.id, user.id) : null;
          facts.push({ id: a.id, approver: a.approver, roleId, sysadmin: user?.sysadmin ?? false, createdAt: a.created_at });
        }
        const pusher = await once('pusher', () => originsRepo.firstPusher(this.db, c.artifact.digest));
        const verdict = evaluateApprovalGate(gate, { approvals: facts, pusher });
        const counted = new Set(verdict.counted);
        return {
          result: {
            ...base,
            passed: verdict.passed,
            reason: verdict.reason,
            inputs: { pusher, approvals: facts.map((f) => ({ id: f.id, approver: f.approver, roleId: f.roleId, sysadmin: f.sysadmin, counted: counted.has(f.approver), at: f.createdAt })) },
          },
          approvalIds: facts.filter((f) => counted.has(f.approver)).map((f) => f.id),
        };
      }
      case 'referrer': {
        const rows = await artifactsRepo.referrers(this.db, c.repository, c.artifact.digest, gate.artifactType);
        const signed = gate.signed !== false;
        const trust = signed && gate.trustPolicy ? await trustOf(gate.trustPolicy) : undefined;
        const referrers = [];
        for (const r of rows) referrers.push({ digest: r.digest, checks: trust ? await checksOf(r.digest, trust) : [] });
        const verdict = evaluateReferrerGate(gate, { referrers, trustPolicy: signed ? policyRef(trust) : null });
        return { result: { ...base, ...verdict, inputs: { trustPolicy: policyRef(trust), referrers } }, approvalIds: [] };
      }
      case 'labels': {
        const labels = (await this.labels.ofArtifacts([c.artifact.id])).get(c.artifact.id) ?? [];
        const names = labels.map((l) => l.name).sort();
        return { result: { ...base, ...evaluateLabelsGate(gate, names), inputs: { labels: names } }, approvalIds: [] };
      }
    }
  }

  /** The stage project's effective CVE allowlist as gate allowlist entries (expiring with the list). */
  private async projectAllowlist(projectName: string): Promise<{ source: string; expiresAt: string | null; entries: Array<{ id: string; expiresAt?: string; reason: string }> } | null> {
    if (!this.allowlistOf) return null;
    const project = await this.projects.findByName(projectName);
    if (!project) return null;
    const list = await this.allowlistOf(project.id);
    if (list.cves.size === 0) return null;
    const expiresAt = list.expiresAt ? list.expiresAt.toISOString() : undefined;
    const reason = `${list.source} CVE allowlist of ${projectName}`;
    return { source: list.source, expiresAt: expiresAt ?? null, entries: [...list.cves].map((id) => ({ id, reason, ...(expiresAt ? { expiresAt } : {}) })) };
  }

  /**
   * The artifact's latest report; an index without a report of its own is judged by its children's: every child
   * must have a successful report, and their findings count together.
   */
  private async reportFor(artifact: ArtifactViewRow): Promise<StoredReport | null> {
    const own = await this.ports.latestReport(artifact.digest);
    if (own || manifestKindOf(artifact.media_type) !== 'index') return own ?? null;
    const children = await artifactViewsRepo.references(this.db, [artifact.id]);
    if (children.length === 0) return null;
    const reports: StoredReport[] = [];
    for (const child of children) {
      const report = await this.ports.latestReport(child.child_digest);
      if (!report || report.status !== 'Success' || !report.report) return report ?? null;
      reports.push(report);
    }
    const oldest = reports.reduce((a, b) => ((a.generatedAt ?? a.createdAt) <= (b.generatedAt ?? b.createdAt) ? a : b));
    const seen = new Set<string>();
    const vulnerabilities = reports.flatMap((r) => r.report!.vulnerabilities).filter((v) => {
      const key = `${v.id}\t${v.package}\t${v.version}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { ...oldest, digest: artifact.digest, report: { ...oldest.report!, vulnerabilities } };
  }
}
