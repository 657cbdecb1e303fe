import type { ReportStore } from './report-store.ts';
import { severityOrder, vulnerabilityReportType, type StoredReport } from './reports.ts';

/** Harbor's NativeReportSummary of one scan. */
export interface NativeReportSummary {
  report_id: string;
  scan_status: string;
  severity?: string;
  duration?: number;
  summary?: { total: number; fixable: number; summary: Record<string, number> };
  start_time?: string;
  end_time?: string;
  complete_percent: number;
  scanner?: { name: string; vendor: string; version: string };
}

/** The summary Harbor shows of a scan: status, severity, counts by severity and how many have a fix. */
export function reportSummary(r: StoredReport): NativeReportSummary {
  const vulns = r.report?.vulnerabilities ?? [];
  const counts: Record<string, number> = {};
  for (const v of vulns) counts[v.severity] = (counts[v.severity] ?? 0) + 1;
  const ordered = Object.fromEntries(severityOrder.filter((s) => counts[s]).reverse().map((s) => [s, counts[s]!]));
  const start = r.startedAt ?? r.createdAt;
  return {
    report_id: String(r.id),
    scan_status: r.status,
    ...(r.report ? { severity: r.report.severity } : {}),
    ...(r.finishedAt && start ? { duration: Math.max(0, Math.round((r.finishedAt.getTime() - start.getTime()) / 1000)) } : {}),
    ...(r.report ? { summary: { total: vulns.length, fixable: vulns.filter((v) => v.fix_version).length, summary: ordered } } : {}),
    ...(start ? { start_time: start.toISOString() } : {}),
    ...(r.finishedAt ? { end_time: r.finishedAt.toISOString() } : {}),
    complete_percent: r.status === 'Success' || r.status === 'Error' || r.status === 'Stopped' ? 100 : 0,
    ...(r.scanner ? { scanner: r.scanner } : {}),
  };
}

/** The artifacts API's `scan_overview` (with_scan_overview=true): the newest scan of each artifact's digest. */
export class ScanOverviews {
  constructor(private readonly reports: ReportStore) {}

  async overviews(artifacts: Array<{ id: number; digest: string }>): Promise<Map<number, Record<string, unknown>>> {
    const current = await this.reports.currentOf(artifacts.map((a) => a.digest));
    const out = new Map<number, Record<string, unknown>>();
    for (const a of artifacts) {
      const r = current.get(a.digest);
      if (r) out.set(a.id, { [vulnerabilityReportType]: reportSummary(r) });
    }
    return out;
  }
}
