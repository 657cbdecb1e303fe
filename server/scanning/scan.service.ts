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
    if (id !== null) await this.db('scan_reports').where({ id: report.id }).update({ job_id: id });
    return report;
  }

  /** Stops the digest's pending or running scan; PRECONDITION when there is none. */
  async stop(target: Omit<ScanRequestTarget, 'tag'>, tags: string[], operator: Operator): Promise<void> {
    const stopped = await this.reports.stop(target.artifact.digest, `stopped by ${operator}`);
    if (stopped.length === 0) throw new BerthError('PRECONDITION', 'the artifact has no scan under way to stop');
    for (const r of stopped) this.events.emit('scan.stopped', operator, this.eventData(target.project, target.repository, r.digest, tags, r, `stopped by ${operator}`));
  }

  /** Queues scan-all (one job that requests a scan of every image and index); null when one is queued already. */
  async scanAll(trigger: ScanTrigger): Promise<number | null> {
    const { id } = await this.jobs.enqueue(scanAllJobType, { trigger }, { dedupeKey: `scan-all:${trigger}:${Math.floor(Date.now() / 60_000)}` });
    return id;
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
