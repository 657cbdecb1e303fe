import type { BerthApi } from './api-client.ts';
import type { Finding, ScanSummary } from './api-types.ts';

/** Harbor's severities, least to most severe. */
const severities = ['None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'];

/** A severity's rank (-1 for a word that is none). */
export const severityRank = (s: string): number => severities.findIndex((x) => x.toLowerCase() === s.toLowerCase());

/** The thresholds a pipeline may fail on. */
export const failOnSeverities = ['low', 'medium', 'high', 'critical'];

export interface ScanOutcome {
  digest: string;
  summary: ScanSummary;
  /** The findings, worst first (empty unless the scan succeeded). */
  findings: Finding[];
}

/** The scan did not end within the time the caller allowed (it goes on in Berth). */
export class ScanTimeout extends Error {
  override name = 'ScanTimeout';
}

/**
 * Asks for a scan of the artifact and waits for its report: the shared step of `berth scan` and the GitHub Action.
 * The artifact is followed by digest once resolved, so a tag moved meanwhile does not change what is reported, and
 * only a report newer than the one before the request counts.
 */
export async function scanAndWait(api: BerthApi, repository: string, reference: string, options: { timeoutMs: number; pollMs?: number }): Promise<ScanOutcome> {
  const before = await api.scanSummary(repository, reference);
  const digest = before.digest;
  await api.scan(repository, digest);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { summary } = await api.scanSummary(repository, digest);
    if (summary && summary.report_id !== before.summary?.report_id && summary.scan_status !== 'Pending' && summary.scan_status !== 'Running') {
      const findings = summary.scan_status === 'Success' ? await api.findings(repository, digest) : [];
      findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
      return { digest, summary, findings };
    }
    if (Date.now() > deadline) throw new ScanTimeout(`the scan of ${repository}@${digest} did not finish within ${Math.round(options.timeoutMs / 1000)} s (it goes on in Berth)`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}
