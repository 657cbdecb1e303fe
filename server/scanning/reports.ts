import type { Severity } from '../policy/documents.ts';

/** Harbor's vulnerability report media type, the one the gates and pull prevention read. */
export const vulnerabilityReportType = 'application/vnd.security.vulnerability.report; version=1.1';

/** Severities from least to most severe (Harbor's order). */
export const severityOrder: Severity[] = ['None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'];

/** Harbor's report v1.1 (`application/vnd.security.vulnerability.report; version=1.1`). */
export interface VulnerabilityReport {
  generated_at: string;
  artifact?: { repository?: string; digest?: string; tag?: string; mime_type?: string };
  scanner: { name: string; vendor: string; version: string };
  severity: Severity;
  vulnerabilities: Array<{
    id: string;
    package: string;
    version: string;
    fix_version?: string;
    severity: Severity;
    description?: string;
    links?: string[];
    preferred_cvss?: { score_v2?: number; score_v3?: number; vector_v2?: string; vector_v3?: string };
    cwe_ids?: string[];
    vendor_attributes?: Record<string, unknown>;
  }>;
}

export type ScanStatus = 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';

/** A report as stored for an artifact digest (scans are by digest: the same bytes have the same findings). */
export interface StoredReport {
  id: number;
  digest: string;
  mimeType: string;
  status: ScanStatus;
  scanner: { name: string; vendor: string; version: string } | null;
  report: VulnerabilityReport | null;
  /** When the scanner produced it (the report's `generated_at`), for report-age checks. */
  generatedAt: Date | null;
  createdAt: Date;
  /** The scanner's error message when the scan failed. */
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The registration that scanned it (null for reports handed over directly). */
  scannerId: number | null;
  /** The repository the scan was requested for (reports are by digest; this is where it was seen). */
  repository: string | null;
}
