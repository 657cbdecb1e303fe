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
});

/** What a scanner hands over for one artifact digest. */
export interface ReportInput {
  status: ScanStatus;
  report?: VulnerabilityReport;
  scanner?: StoredReport['scanner'];
  error?: string;
}

/**
 * Vulnerability reports by artifact digest, in Harbor's v1.1 format: filled by scanners (the scanning issue) and,
 * until then, by whoever holds the service; read by the vulnerability gate and pull prevention. Each report is a new
 * row (history stays); the newest one is the artifact's state. `scan.reported` tells the caches.
 */
export class ReportStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
  ) {}

  async put(digest: string, input: ReportInput, operator: Operator = 'system'): Promise<StoredReport> {
    if (!parseDigest(digest)) throw new BerthError('BAD_REQUEST', `not a digest: ${digest.slice(0, 80)}`);
    if (input.status === 'Success' && !input.report) throw new BerthError('BAD_REQUEST', 'a successful scan carries a report');
    const generated = input.report?.generated_at ? new Date(input.report.generated_at) : null;
    if (generated && Number.isNaN(generated.getTime())) throw new BerthError('BAD_REQUEST', 'report generated_at is not a date');
    const [row] = await this.db('scan_reports')
      .insert({
        digest,
        mime_type: vulnerabilityReportType,
        status: input.status,
        scanner: input.scanner ?? input.report?.scanner ?? null,
        report: input.report ? JSON.stringify(input.report) : null,
        error: input.error ?? null,
        generated_at: generated,
      })
      .returning<ReportRow[]>('*');
    const stored = toReport(row!);
    this.events.emit('scan.reported', operator, { digest, status: stored.status, severity: stored.report?.severity ?? null });
    return stored;
  }

  /** The newest report for the digest, if it was ever scanned. */
  async latest(digest: string): Promise<StoredReport | undefined> {
    const row = await this.db('scan_reports').where({ digest, mime_type: vulnerabilityReportType }).orderBy('id', 'desc').first<ReportRow | undefined>();
    return row ? toReport(row) : undefined;
  }
}
