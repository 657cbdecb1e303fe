import type { Knex } from 'knex';
import type { Operator } from '../core/actor.ts';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ScanEventData } from '../events/event-types.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import type { ReportStore } from './report-store.ts';
import type { StoredReport } from './reports.ts';
import { reportSummary } from './scan-overview.ts';
import { isScannable } from './scannable.ts';
import type { ScannersService } from './scanners/scanners.service.ts';
import type { ArtifactRow } from '../db/types.ts';
import { artifactViewsRepo } from '../artifacts/artifact-views.repo.ts';
import { jobsRepo } from '../jobs/jobs.repo.ts';
import type { Logger } from '../core/logger.ts';
import { scanCandidatesRepo } from './scan-candidates.repo.ts';

export const scanJobType = 'scan.artifact';
export const scanAllJobType = 'scan.all';

/** What a scan job carries: the report row it fills and the artifact as it was requested. */
export interface ScanJobPayload {
  reportId: number;
  projectId: number;
  projectName: string;
  repository: string;
  digest: string;
  mediaType: string;
  tag?: string;
}

export type ScanTrigger = 'manual' | 'push' | 'schedule' | 'advisories';

/** An artifact to scan, as the caller found it. */
export interface ScanRequestTarget {
  project: ProjectRef;
  repository: string;
  artifact: Pick<ArtifactRow, 'id' | 'digest' | 'media_type' | 'config_media_type' | 'artifact_type' | 'annotations'>;
  tag?: string;
}

/**
 * Requests and stops scans. A scan is a report row (Pending) plus a durable job that fills it, so a scan survives
 * restarts and is retried when the scanner is unreachable; a digest already being scanned is not queued twice.
 * Stopping marks the row Stopped: the worker running it notices and abandons the scan.
 */
export class ScanService {
  constructor(
    private readonly db: Knex,
    private readonly reports: ReportStore,
    private readonly scanners: ScannersService,
    private readonly jobs: JobQueue,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly maxAttempts: number,
  ) {}

  async request(target: ScanRequestTarget): Promise<StoredReport> {
    if (!isScannable(target.artifact)) throw new BerthError('BAD_REQUEST', `artifacts of type ${target.artifact.artifact_type ?? target.artifact.config_media_type ?? target.artifact.media_type} have no filesystem to scan`);
    const current = await this.reports.current(target.artifact.digest);
    if (current && (current.status === 'Pending' || current.status === 'Running')) return current;
    const registration = await this.scanners.forProject(target.project.id);
    if (!registration) throw new BerthError('PRECONDITION', 'no scanner is registered');
    if (registration.disabled) throw new BerthError('PRECONDITION', `the project's scanner ${registration.name} is disabled`);
    const report = await this.reports.begin(target.artifact.digest, { repository: target.repository, scannerId: registration.id, scanner: null });
    const payload: ScanJobPayload = {
      reportId: report.id,
      projectId: target.project.id,
      projectName: target.project.name,
      repository: target.repository,
      digest: target.artifact.digest,
      mediaType: target.artifact.media_type,
      ...(target.tag ? { tag: target.tag } : {}),
    };
    const { id } = await this.jobs.enqueue(scanJobType, payload, { dedupeKey: `scan:${report.id}`, maxAttempts: this.maxAttempts });
    if (id !== null) await this.reports.setJob(report.id, id);
    return report;
  }

  /**
   * Scan-all's work: a scan of every scannable top-level artifact, once per digest (the first repository it is
   * found in). Answers how many were asked for and the range of their report ids (its metrics read them).
   */
  async requestAll(signal: AbortSignal): Promise<{ requested: number; firstReportId: number | null; lastReportId: number | null }> {
    let requested = 0;
    let first: number | null = null;
    let last: number | null = null;
    const seen = new Set<string>();
    for (let after = 0; ; ) {
      signal.throwIfAborted();
      const rows = await scanCandidatesRepo.page(this.db, after, 500);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      for (const r of rows) {
        if (seen.has(r.digest) || !isScannable(r)) continue;
        seen.add(r.digest);
        try {
          const report = await this.request({ project: { id: r.project_id, name: r.project_name, public: r.public }, repository: r.repository, artifact: r });
          requested++;
          first ??= report.id;
          last = report.id;
        } catch (err) {
          this.log.warn({ err, repository: r.repository, digest: r.digest }, 'scan-all could not request a scan');
        }
      }
    }
    return { requested, firstReportId: first, lastReportId: last };
  }

  /** Stops the digest's pending or running scan; PRECONDITION when there is none. */
  async stop(target: Omit<ScanRequestTarget, 'tag'>, operator: Operator): Promise<void> {
    const stopped = await this.reports.stop(target.artifact.digest, `stopped by ${operator}`);
    if (stopped.length === 0) throw new BerthError('PRECONDITION', 'the artifact has no scan under way to stop');
    const tags = (await artifactViewsRepo.tagsOf(this.db, [target.artifact.id])).map((t) => t.name);
    for (const r of stopped) this.events.emit('scan.stopped', operator, this.eventData(target.project, target.repository, r.digest, tags, r, `stopped by ${operator}`));
  }

  /** Queues scan-all (one job that requests a scan of every image and index); null when one is queued already. */
  async scanAll(trigger: ScanTrigger): Promise<number | null> {
    const { id } = await this.jobs.enqueue(scanAllJobType, { trigger }, { dedupeKey: `scan-all:${trigger}:${Math.floor(Date.now() / 60_000)}` });
    return id;
  }

  /** Harbor's Stats of the newest scan-all: how many scans it asked for, how many ended, and how. */
  async scanAllMetrics(): Promise<{ total: number; completed: number; metrics: Record<string, number>; ongoing: boolean; trigger: 'Manual' | 'Schedule' }> {
    const [job] = (await jobsRepo.page(this.db, { type: scanAllJobType, offset: 0, limit: 1 })).rows;
    const result = (job?.result ?? null) as { firstReportId?: number | null; lastReportId?: number | null; requested?: number } | null;
    const metrics = result?.firstReportId && result.lastReportId ? await this.reports.statusCounts(result.firstReportId, result.lastReportId) : {};
    const total = result?.requested ?? 0;
    const completed = (metrics.Success ?? 0) + (metrics.Error ?? 0) + (metrics.Stopped ?? 0);
    return {
      total,
      completed,
      metrics,
      ongoing: !!job && (job.status === 'queued' || job.status === 'running' || completed < total),
      trigger: (job?.payload as { trigger?: string } | undefined)?.trigger === 'schedule' ? 'Schedule' : 'Manual',
    };
  }

  eventData(project: ProjectRef, repository: string, digest: string, tags: string[], report: StoredReport, error?: string): ScanEventData {
    return {
      projectId: project.id,
      projectName: project.name,
      repository,
      digest,
      tags,
      reportId: report.id,
      scanner: report.scanner,
      overview: reportSummary(report) as unknown as Record<string, unknown>,
      ...(error ? { error } : {}),
    };
  }
}
