import type { Knex } from 'knex';
import { artifactsRepo } from '../artifacts/artifacts.repo.ts';
import { artifactViewsRepo } from '../artifacts/artifact-views.repo.ts';
import type { Logger } from '../core/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import { PermanentJobError, type JobContext } from '../jobs/job-queue.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import type { ReportStore } from './report-store.ts';
import type { StoredReport, VulnerabilityReport } from './reports.ts';
import { overallSeverity } from './scanners/builtin-scanner.ts';
import { ScanInputError, type Scanner, type ScanOutcome } from './scanners/scanner.ts';
import type { ScannersService } from './scanners/scanners.service.ts';
import type { ScanJobPayload, ScanService } from './scan.service.ts';
import type { SbomService } from './sbom/sbom.service.ts';
import { isScannable } from './scannable.ts';
import type { ArtifactConfigReader } from '../artifacts/artifact-config.ts';

/** Thrown into a scan when its row was stopped: the outcome is dropped, not recorded as a failure. */
class ScanStopped extends Error {
  override name = 'ScanStopped';
}

export interface ScanJobDeps {
  db: Knex;
  reports: ReportStore;
  scanners: ScannersService;
  scans: ScanService;
  sboms: SbomService;
  configs: ArtifactConfigReader;
  events: EventBus;
  log: Logger;
  /** When the advisory database last changed: a child report newer than this is still current. */
  advisoriesChangedAt(): Promise<Date | null>;
}

/** How often a running scan checks whether someone stopped it (on any node). */
const stopPollMs = 1000;

/**
 * Runs one scan job: fills its report row with the scanner's outcome. An index is scanned child by child (each
 * child gets its own report, reused when it is still current) and its own report joins the children's findings.
 * A failure the artifact causes (a corrupt layer) ends the scan at once; one the scanner causes (unreachable,
 * timed out) is retried by the queue, and recorded as the scan's failure only after the last attempt.
 */
export async function runScanJob(deps: ScanJobDeps, job: JobContext<ScanJobPayload>): Promise<unknown> {
  const p = job.payload;
  const row = await deps.reports.byId(p.reportId);
  if (!row) throw new PermanentJobError(`report ${p.reportId} is gone`);
  if (!(await deps.reports.running(row.id))) return { skipped: row.status };
  const project: ProjectRef = { id: p.projectId, name: p.projectName, public: false };
  const registration = row.scannerId !== null ? await deps.scanners.byId(row.scannerId) : await deps.scanners.forProject(p.projectId);
  const lines: string[] = [];
  const log = (line: string): void => void lines.push(`${new Date().toISOString()} ${line}`);
  const tags = await tagsOf(deps.db, p.repository, p.digest);

  const controller = new AbortController();
  const onAbort = (): void => controller.abort(job.signal.reason);
  job.signal.addEventListener('abort', onAbort, { once: true });
  const watcher = setInterval(() => {
    deps.reports
      .byId(row.id)
      .then((r) => r?.status === 'Stopped' && controller.abort(new ScanStopped('stopped')))
      .catch(() => undefined);
  }, stopPollMs);
  watcher.unref();
  try {
    if (!registration || registration.disabled) throw new ScanInputError(registration ? `scanner ${registration.name} is disabled` : 'the scanner registration is gone');
    log(`scanning ${p.repository}@${p.digest} with ${registration.name} (attempt ${job.attempt} of ${job.maxAttempts})`);
    const scanner = deps.scanners.scannerFor(registration);
    const context = { signal: controller.signal, log };
    const report = p.mediaType.includes('index') || p.mediaType.includes('manifest.list')
      ? await scanIndex(deps, scanner, registration.id, project, p, context)
      : await scanImage(deps, scanner, project, p, context);
    const stored = await deps.reports.finish(row.id, { status: 'Success', report }, lines.join('\n'));
    if (!stored) return { stopped: true };
    deps.events.emit('scan.completed', 'system', deps.scans.eventData(project, p.repository, p.digest, tags, stored));
    return { severity: report.severity, vulnerabilities: report.vulnerabilities.length };
  } catch (err) {
    if (controller.signal.reason instanceof ScanStopped) return { stopped: true };
    const permanent = err instanceof ScanInputError || err instanceof PermanentJobError;
    const message = (err as Error).message;
    log(`failed: ${message}`);
    // Shutdown hands the job back; a transient failure is retried while attempts remain.
    if (!permanent && (job.signal.aborted || job.attempt < job.maxAttempts)) {
      await deps.reports.requeue(row.id, lines.join('\n'));
      throw err;
    }
    const failed = await deps.reports.finish(row.id, { status: 'Error', error: message }, lines.join('\n'));
    if (failed) deps.events.emit('scan.failed', 'system', deps.scans.eventData(project, p.repository, p.digest, tags, failed, message));
    return { failed: message };
  } finally {
    clearInterval(watcher);
    job.signal.removeEventListener('abort', onAbort);
  }
}

async function tagsOf(db: Knex, repository: string, digest: string): Promise<string[]> {
  const artifact = await artifactsRepo.find(db, repository, digest);
  if (!artifact) return [];
  return (await artifactViewsRepo.tagsOf(db, [artifact.id])).map((t) => t.name);
}

async function scanImage(deps: ScanJobDeps, scanner: Scanner, project: ProjectRef, p: Pick<ScanJobPayload, 'repository' | 'digest' | 'mediaType' | 'tag'>, context: { signal: AbortSignal; log(line: string): void }): Promise<VulnerabilityReport> {
  const outcome: ScanOutcome = await scanner.scan({ repository: p.repository, digest: p.digest, mediaType: p.mediaType, ...(p.tag ? { tag: p.tag } : {}) }, context);
  if (outcome.inventory) {
    const artifact = await artifactsRepo.find(deps.db, p.repository, p.digest);
    if (artifact) {
      try {
        const config = artifact.config_digest ? await deps.configs.read(artifact.config_digest) : undefined;
        const created = typeof config?.created === 'string' ? config.created : undefined;
        const sbom = await deps.sboms.attach(project, p.repository, { digest: p.digest, mediaType: p.mediaType, size: artifact.manifest_size, ...(created ? { created } : {}) }, outcome.inventory);
        context.log(`SBOM attached as ${sbom}`);
      } catch (err) {
        // The report stands without its SBOM (a full quota, say); the log says why it is missing.
        context.log(`SBOM not attached: ${(err as Error).message}`);
      }
    }
  }
  return outcome.report;
}

/** Scans each image child of an index and joins their findings into the index's own report. */
async function scanIndex(deps: ScanJobDeps, scanner: Scanner, scannerId: number, project: ProjectRef, p: ScanJobPayload, context: { signal: AbortSignal; log(line: string): void }): Promise<VulnerabilityReport> {
  const index = await artifactsRepo.find(deps.db, p.repository, p.digest);
  if (!index) throw new ScanInputError(`${p.repository}@${p.digest} is gone`);
  const children = await artifactViewsRepo.references(deps.db, [index.id]);
  const fresh = await deps.advisoriesChangedAt();
  const reports: VulnerabilityReport[] = [];
  for (const child of children) {
    context.signal.throwIfAborted();
    const row = await artifactsRepo.find(deps.db, p.repository, child.child_digest);
    if (!row || !isScannable(row) || child.platform?.os === 'unknown') continue;
    const existing = await deps.reports.current(child.child_digest);
    if (existing?.status === 'Success' && existing.report && existing.scannerId === scannerId && (!fresh || existing.createdAt > fresh)) {
      context.log(`child ${child.child_digest}: current report ${existing.id} reused`);
      reports.push(existing.report);
      continue;
    }
    const own: StoredReport = await deps.reports.begin(child.child_digest, { repository: p.repository, scannerId, scanner: null });
    await deps.reports.running(own.id);
    try {
      const report = await scanImage(deps, scanner, project, { repository: p.repository, digest: child.child_digest, mediaType: row.media_type }, context);
      await deps.reports.finish(own.id, { status: 'Success', report });
      reports.push(report);
      context.log(`child ${child.child_digest}: ${report.vulnerabilities.length} vulnerabilities`);
    } catch (err) {
      await deps.reports.finish(own.id, { status: 'Error', error: (err as Error).message });
      throw err instanceof ScanInputError ? new ScanInputError(`child ${child.child_digest}: ${err.message}`) : err;
    }
  }
  const seen = new Set<string>();
  const vulnerabilities = reports.flatMap((r) => r.vulnerabilities).filter((v) => {
    const key = `${v.id}\0${v.package}\0${v.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const first = reports[0];
  return {
    generated_at: new Date().toISOString(),
    artifact: { repository: p.repository, digest: p.digest, mime_type: p.mediaType, ...(p.tag ? { tag: p.tag } : {}) },
    scanner: first?.scanner ?? (await scanner.metadata(context.signal)).scanner,
    severity: overallSeverity(vulnerabilities),
    vulnerabilities,
  };
}
