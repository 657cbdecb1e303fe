import type { Knex } from 'knex';
import type { Operator } from '../core/actor.ts';
import { BerthError } from '../core/errors.ts';
import { parseDigest } from '../core/digest.ts';
import type { EventBus } from '../events/event-bus.ts';
import { vulnerabilityReportType, type ScanStatus, type StoredReport, type VulnerabilityReport } from './reports.ts';

interface ReportRow {
  id: number | string;
  digest: string;
  mime_type: string;
  status: ScanStatus;
  scanner: StoredReport['scanner'];
  report: VulnerabilityReport | null;
  error: string | null;
  generated_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  scanner_id: number | null;
  repository: string | null;
  log: string;
}

const toReport = (r: ReportRow): StoredReport => ({
  id: Number(r.id),
  digest: r.digest,
  mimeType: r.mime_type,
  status: r.status,
  scanner: r.scanner,
  report: r.report,
  generatedAt: r.generated_at,
  createdAt: r.created_at,
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  scannerId: r.scanner_id,
  repository: r.repository,
});

/** What a scanner hands over for one artifact digest. */
export interface ReportInput {
  status: ScanStatus;
  report?: VulnerabilityReport;
  scanner?: StoredReport['scanner'];
  error?: string;
}

const finished: ScanStatus[] = ['Success', 'Error'];

/**
 * Vulnerability reports by artifact digest, in Harbor's v1.1 format. A scan is one row from request to end:
 * `begin` (Pending), `running`, then `finish` (Success, Error) or `stop`; a rescan is a new row, so the history
 * stays. Gates and pull prevention read `latest`: the newest finished scan, so a rescan under way never hides
 * the report before it. `scan.reported` tells the caches when a scan ends.
 */
export class ReportStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
  ) {}

  /** Stores a finished scan in one step (reports handed over whole, and tests). */
  async put(digest: string, input: ReportInput, operator: Operator = 'system'): Promise<StoredReport> {
    if (!parseDigest(digest)) throw new BerthError('BAD_REQUEST', `not a digest: ${digest.slice(0, 80)}`);
    const values = this.outcome(input);
    const [row] = await this.db('scan_reports')
      .insert({ digest, mime_type: vulnerabilityReportType, started_at: this.db.fn.now(), ...values })
      .returning<ReportRow[]>('*');
    return this.reported(toReport(row!), operator);
  }

  /** Records a requested scan (Pending) for a digest, as seen from a repository, by a registered scanner. */
  async begin(digest: string, scan: { repository: string; scannerId: number | null; scanner: StoredReport['scanner'] }): Promise<StoredReport> {
    const [row] = await this.db('scan_reports')
      .insert({ digest, mime_type: vulnerabilityReportType, status: 'Pending', repository: scan.repository, scanner_id: scan.scannerId, scanner: scan.scanner ? JSON.stringify(scan.scanner) : null })
      .returning<ReportRow[]>('*');
    return toReport(row!);
  }

  /** Marks a pending scan as running; false when it is no longer pending or running (stopped meanwhile). */
  async running(id: number): Promise<boolean> {
    const n = await this.db('scan_reports').where({ id }).whereIn('status', ['Pending', 'Running']).update({ status: 'Running', started_at: this.db.fn.now() });
    return n > 0;
  }

  /** Ends a scan; null when it had been stopped meanwhile (its outcome is then dropped). */
  async finish(id: number, input: ReportInput, log = '', operator: Operator = 'system'): Promise<StoredReport | null> {
    const [row] = await this.db('scan_reports')
      .where({ id })
      .whereIn('status', ['Pending', 'Running'])
      .update({ ...this.outcome(input), log: log.slice(0, 64 * 1024) })
      .returning<ReportRow[]>('*');
    return row ? this.reported(toReport(row), operator) : null;
  }

  /** Records the job that fills a scan. */
  async setJob(id: number, jobId: number): Promise<void> {
    await this.db('scan_reports').where({ id }).update({ job_id: jobId });
  }

  /** Puts a running scan back to Pending after a failed attempt that will be retried, keeping its log. */
  async requeue(id: number, log: string): Promise<void> {
    await this.db('scan_reports').where({ id }).whereIn('status', ['Pending', 'Running']).update({ status: 'Pending', log: log.slice(0, 64 * 1024) });
  }

  /** How many scans with ids in [first, last] are in each state (scan-all's progress). */
  async statusCounts(first: number, last: number): Promise<Record<string, number>> {
    const rows = await this.db('scan_reports').whereBetween('id', [first, last]).groupBy('status').select<Array<{ status: string; n: string | number }>>('status', this.db.raw('count(*) as n'));
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Stops the digest's pending and running scans; returns those it stopped. */
  async stop(digest: string, reason: string): Promise<StoredReport[]> {
    const rows = await this.db('scan_reports')
      .where({ digest, mime_type: vulnerabilityReportType })
      .whereIn('status', ['Pending', 'Running'])
      .update({ status: 'Stopped', error: reason.slice(0, 2000), finished_at: this.db.fn.now() })
      .returning<ReportRow[]>('*');
    return rows.map(toReport);
  }

  async byId(id: number): Promise<StoredReport | undefined> {
    const row = await this.db('scan_reports').where({ id }).first<ReportRow | undefined>();
    return row ? toReport(row) : undefined;
  }

  async logOf(id: number): Promise<string | undefined> {
    const row = await this.db('scan_reports').where({ id }).first<{ log: string } | undefined>('log');
    return row?.log;
  }

  /** The newest finished scan of the digest, or, when none has finished yet, its newest scan of any state. */
  async latest(digest: string): Promise<StoredReport | undefined> {
    const done = await this.db('scan_reports').where({ digest, mime_type: vulnerabilityReportType }).whereIn('status', finished).orderBy('id', 'desc').first<ReportRow | undefined>();
    if (done) return toReport(done);
    return this.current(digest);
  }

  /** The newest scan of the digest in any state (what the scan overview shows). */
  async current(digest: string): Promise<StoredReport | undefined> {
    const row = await this.db('scan_reports').where({ digest, mime_type: vulnerabilityReportType }).orderBy('id', 'desc').first<ReportRow | undefined>();
    return row ? toReport(row) : undefined;
  }

  /** The newest scan of each digest, in one query (artifact lists). */
  async currentOf(digests: string[]): Promise<Map<string, StoredReport>> {
    if (digests.length === 0) return new Map();
    const rows = await this.db('scan_reports')
      .whereIn('id', this.db('scan_reports').max('id').whereIn('digest', [...new Set(digests)]).andWhere('mime_type', vulnerabilityReportType).groupBy('digest'))
      .select<ReportRow[]>('*');
    return new Map(rows.map((r) => [r.digest, toReport(r)]));
  }

  private outcome(input: ReportInput): Record<string, unknown> {
    if (input.status === 'Success' && !input.report) throw new BerthError('BAD_REQUEST', 'a successful scan carries a report');
    const generated = input.report?.generated_at ? new Date(input.report.generated_at) : null;
    if (generated && Number.isNaN(generated.getTime())) throw new BerthError('BAD_REQUEST', 'report generated_at is not a date');
    const scanner = input.scanner ?? input.report?.scanner;
    return {
      status: input.status,
      ...(scanner ? { scanner: JSON.stringify(scanner) } : {}),
      report: input.report ? JSON.stringify(input.report) : null,
      error: input.error?.slice(0, 2000) ?? null,
      generated_at: generated,
      finished_at: this.db.fn.now(),
    };
  }

  private reported(stored: StoredReport, operator: Operator): StoredReport {
    this.events.emit('scan.reported', operator, { digest: stored.digest, status: stored.status, severity: stored.report?.severity ?? null });
    return stored;
  }
}
