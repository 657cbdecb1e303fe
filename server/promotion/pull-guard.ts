import type { Knex } from 'knex';
import { artifactViewsRepo } from '../artifacts/artifact-views.repo.ts';
import { repositoriesRepo } from '../artifacts/repositories.repo.ts';
import type { Principal } from '../auth/principal.ts';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import type { Severity } from '../policy/documents.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { manifestKindOf } from '../registry/media-types.ts';
import { severityOrder, type StoredReport } from '../scanning/reports.ts';
import type { PromotionPorts } from './gate-evaluator.ts';

/** A project's effective CVE allowlist (its own, or the system's when it reuses that one). */
export type AllowlistOf = (projectId: number) => Promise<{ cves: ReadonlySet<string>; expired: boolean; source: string; expiresAt: Date | null }>;

interface Verdict {
  ok: boolean;
  reason: string;
}

// Harbor's `severity` setting: refuse a finding of this severity or above.
const thresholds: Record<string, Severity> = { negligible: 'Negligible', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const rank = (s: Severity): number => severityOrder.indexOf(s);
const accessoryTag = /^sha256-[0-9a-f]{64}\.(?:sig|att|sbom)$/;

/**
 * Enforcement at pull (manifest GET and HEAD): a project may refuse artifacts without a signature that verifies
 * against its trust policy (`enable_content_trust_cosign` or `enable_content_trust`, with Berth's `trust_policy`:
 * verification, not presence), and artifacts whose latest scan finds a vulnerability of `severity` or above once its
 * CVE allowlist is set aside (`prevent_vul`; unscanned or failed scans refused too). Both answer 412 with the reason.
 * A child of an index passes with its index (clients pull the children by digest after the index). Scanners pull
 * with system-issued tokens and bypass both. A project with neither setting costs nothing here; verdicts are cached
 * per repository and digest until a signature, report, trust policy or project setting changes, on every node.
 */
export class PullGuard {
  private readonly signatures = new Map<string, Map<string, Promise<Verdict>>>();
  private readonly vulnerabilities = new Map<string, Promise<Verdict>>();

  constructor(
    private readonly db: Knex,
    private readonly ports: PromotionPorts,
    private readonly allowlistOf: AllowlistOf,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    cluster.register('pull-guard.signatures', (repo) => (repo === '*' ? this.signatures.clear() : this.signatures.delete(repo)));
    cluster.register('pull-guard.vulnerabilities', (key) => (key === '*' ? this.vulnerabilities.clear() : this.dropVulnerabilities(key)));
  }

  /** Drops verdicts when what they were made of changes (events are local: the invalidator tells the other nodes). */
  subscribe(events: EventBus): void {
    const repoChanged = (e: { data: { repository: string } }): void => this.cluster.invalidate('pull-guard.signatures', e.data.repository);
    events.on('artifact.pushed', repoChanged);
    events.on('artifact.copied', repoChanged);
    events.on('artifact.deleted', repoChanged);
    events.on('scan.reported', (e) => this.cluster.invalidate('pull-guard.vulnerabilities', e.data.digest));
    for (const name of ['project.updated', 'policy.created', 'policy.updated', 'policy.deleted', 'config.updated'] as const) {
      events.on(name, () => {
        this.cluster.invalidate('pull-guard.signatures', '*');
        this.cluster.invalidate('pull-guard.vulnerabilities', '*');
      });
    }
  }

  /**
   * Refuses the pull (412) when a project setting forbids serving this artifact. Accessories (referrers, and cosign's
   * `sha256-<hex>.sig|.att|.sbom` tags) are exempt: they are what a client fetches to verify the artifact itself.
   */
  async check(project: ProjectRef, repository: string, artifact: { digest: string; mediaType: string; subjectDigest?: string | null }, principal: Principal, tag?: string): Promise<void> {
    const m = project.metadata;
    if (!m) return;
    const signed = m.enable_content_trust_cosign === 'true' || m.enable_content_trust === 'true';
    const scanned = m.prevent_vul === 'true';
    if (!signed && !scanned) return;
    if (principal.kind === 'token' && principal.scanner) return;
    if (artifact.subjectDigest || (tag !== undefined && accessoryTag.test(tag))) return;
    if (signed) {
      const verdict = await this.cached(this.signatures, repository, artifact.digest, () => this.signatureVerdict(m.trust_policy, repository, artifact.digest));
      if (!verdict.ok) throw new BerthError('PROJECTPOLICYVIOLATION', `pull refused: project ${project.name} only serves artifacts with a verified signature, and ${artifact.digest} ${verdict.reason}`);
    }
    if (scanned) {
      const severity = thresholds[(m.severity ?? 'critical').toLowerCase()] ?? 'Critical';
      const key = `${project.id}\t${severity}\t${artifact.digest}`;
      let verdict = this.vulnerabilities.get(key);
      if (!verdict) {
        verdict = this.vulnerabilityVerdict(project, repository, artifact, severity);
        this.vulnerabilities.set(key, verdict);
        verdict.catch(() => this.vulnerabilities.delete(key));
      }
      const v = await verdict;
      if (!v.ok) throw new BerthError('PROJECTPOLICYVIOLATION', `pull refused: project ${project.name} prevents vulnerable images from running, and ${artifact.digest} ${v.reason}`);
    }
  }

  private cached(map: Map<string, Map<string, Promise<Verdict>>>, repository: string, digest: string, load: () => Promise<Verdict>): Promise<Verdict> {
    let perRepo = map.get(repository);
    if (!perRepo) map.set(repository, (perRepo = new Map()));
    let verdict = perRepo.get(digest);
    if (!verdict) {
      verdict = load();
      perRepo.set(digest, verdict);
      verdict.catch(() => perRepo!.delete(digest));
    }
    return verdict;
  }

  private dropVulnerabilities(digest: string): void {
    for (const key of this.vulnerabilities.keys()) if (key.endsWith(`\t${digest}`)) this.vulnerabilities.delete(key);
  }

  private async signatureVerdict(trustPolicy: string | undefined, repository: string, digest: string): Promise<Verdict> {
    if (!trustPolicy) return { ok: false, reason: 'cannot be verified: the project names no trust policy (set its trust_policy)' };
    const trust = await this.ports.trustPolicy(trustPolicy);
    if (!trust) return { ok: false, reason: `cannot be verified: trust policy ${trustPolicy} is not applied` };
    const own = await this.ports.signatures.verify(repository, digest, { name: trust.name, ...trust.document.spec });
    const valid = own.find((c) => c.valid);
    if (valid) return { ok: true, reason: `is signed by ${valid.trustedBy ?? 'a trusted key'}` };
    // A child of a verified index passes with it.
    const repo = await repositoriesRepo.findByName(this.db, repository);
    for (const parent of repo ? await artifactViewsRepo.parents(this.db, repo.id, digest) : []) {
      const checks = await this.ports.signatures.verify(repository, parent, { name: trust.name, ...trust.document.spec });
      if (checks.some((c) => c.valid)) return { ok: true, reason: `is part of ${parent}, which is signed` };
    }
    if (own.length === 0) return { ok: false, reason: `is not signed (trust policy ${trustPolicy})` };
    return { ok: false, reason: `has no signature that verifies against trust policy ${trustPolicy}: ${[...new Set(own.map((c) => c.reason))].slice(0, 3).join('; ')}` };
  }

  private async vulnerabilityVerdict(project: ProjectRef, repository: string, artifact: { digest: string; mediaType: string }, severity: Severity): Promise<Verdict> {
    const reports: Array<{ digest: string; report: StoredReport | undefined }> = [];
    const own = await this.ports.latestReport(artifact.digest);
    if (!own && manifestKindOf(artifact.mediaType) === 'index') {
      const repo = await repositoriesRepo.findByName(this.db, repository);
      const index = repo && (await artifactViewsRepo.byDigest(this.db, repo.id, artifact.digest));
      for (const child of index ? await artifactViewsRepo.references(this.db, [index.id]) : []) reports.push({ digest: child.child_digest, report: await this.ports.latestReport(child.child_digest) });
    } else {
      reports.push({ digest: artifact.digest, report: own });
    }
    if (reports.length === 0) return { ok: false, reason: 'has not been scanned' };
    const allowlist = await this.allowlistOf(project.id);
    for (const { digest, report } of reports) {
      const which = digest === artifact.digest ? '' : ` (its child ${digest})`;
      if (!report) return { ok: false, reason: `has not been scanned${which}` };
      if (report.status !== 'Success' || !report.report) return { ok: false, reason: `${report.status === 'Error' ? 'failed its last scan' : `has a scan ${report.status.toLowerCase()}`}${which}` };
      const hits = report.report.vulnerabilities.filter((v) => rank(v.severity) >= rank(severity) && (allowlist.expired || !allowlist.cves.has(v.id)));
      if (hits.length) {
        const ids = [...new Set(hits.map((v) => v.id))];
        return { ok: false, reason: `has ${ids.length} ${ids.length === 1 ? 'vulnerability' : 'vulnerabilities'} of ${severity} or above${which}: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}` };
      }
    }
    return { ok: true, reason: `has no vulnerability of ${severity} or above` };
  }
}
