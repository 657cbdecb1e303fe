import type { Finding, ScanSummary } from '../../client/api-types.ts';
import { referenceOf } from '../../client/image-ref.ts';
import { str, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { exitCodes } from '../exit-codes.ts';

/** Harbor's severities, least to most severe. */
const severities = ['None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'];
const rank = (s: string): number => severities.findIndex((x) => x.toLowerCase() === s.toLowerCase());
const finished = (s: ScanSummary | undefined): boolean => !!s && s.scan_status !== 'Pending' && s.scan_status !== 'Running';

function findingTable(findings: Finding[], limit = 25): string[] {
  if (findings.length === 0) return [];
  const sorted = [...findings].sort((a, b) => rank(b.severity) - rank(a.severity) || a.id.localeCompare(b.id));
  const rows = sorted.slice(0, limit).map((f) => [f.severity, f.id, f.package, f.version, f.fix_version ?? '-']);
  const header = ['SEVERITY', 'ID', 'PACKAGE', 'VERSION', 'FIXED IN'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return ['', line(header), ...rows.map(line), ...(sorted.length > limit ? [`... and ${sorted.length - limit} more (--output json lists them all)`] : [])];
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'scan an artifact now and wait for its report; optionally fail on a severity',
  usage: 'berth scan <image> [--fail-on <severity>] [--timeout <seconds>] [--no-wait]',
  description:
    'Asks the project\'s scanner for a scan, waits for it to finish and prints the findings, worst first. ' +
    'Exit code 0: scanned (and nothing at or above --fail-on); 3: a finding at or above --fail-on (low, medium, ' +
    'high, critical; CVE allowlists are the gates\' business, not this check\'s); 1: the scan failed or timed out. ' +
    'With --no-wait it only asks.',
  options: {
    'fail-on': { type: 'string', value: 'severity', help: 'exit 3 when a finding is this severe or worse' },
    timeout: { type: 'string', value: 'seconds', help: 'how long to wait for the report (default 600)' },
    'no-wait': { type: 'boolean', help: 'ask for the scan and return' },
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('scan takes one image: berth scan dev/app:1.4 [--fail-on high]');
    const failOn = str(ctx.values['fail-on']);
    if (failOn !== undefined && rank(failOn) < 3) throw new UsageError('--fail-on is one of low, medium, high, critical');
    const timeout = Number(str(ctx.values.timeout) ?? 600);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86_400) throw new UsageError('--timeout is a number of seconds from 1 to 86400');
    const image = await ctx.image(args[0]);
    const api = await ctx.api(image.origin);
    const repository = image.ref.repository;
    const before = await api.scanSummary(repository, referenceOf(image.ref));
    // By digest from here on: a tag moved meanwhile must not change what is reported.
    const reference = before.digest;
    await api.scan(repository, reference);
    if (ctx.values['no-wait'] === true) {
      ctx.result({ requested: true, digest: reference }, () => `scan requested for ${repository}@${reference}`);
      return exitCodes.ok;
    }
    const deadline = Date.now() + timeout * 1000;
    let summary: ScanSummary | undefined;
    for (;;) {
      summary = (await api.scanSummary(repository, reference)).summary;
      // A new report (not the one from before the request) that has finished.
      if (finished(summary) && summary!.report_id !== before.summary?.report_id) break;
      if (Date.now() > deadline) {
        ctx.err(`the scan of ${repository}@${reference} did not finish within ${timeout} s (it goes on in Berth)`);
        return exitCodes.error;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (summary!.scan_status !== 'Success') {
      ctx.result({ scanned: false, digest: reference, status: summary!.scan_status, report: summary }, () => `the scan of ${repository}@${reference} ended ${summary!.scan_status}; see its log: GET .../scan/${summary!.report_id}/log`);
      return exitCodes.error;
    }
    const findings = await api.findings(repository, reference);
    const over = failOn === undefined ? [] : findings.filter((f) => rank(f.severity) >= rank(failOn));
    const counts = summary!.summary?.summary ?? {};
    ctx.result({ scanned: true, digest: reference, severity: summary!.severity, summary: summary!.summary, scanner: summary!.scanner, failed: over.length > 0, vulnerabilities: findings }, () => [
      `${over.length ? 'FAILED' : 'scanned'}: ${repository}@${reference} by ${summary!.scanner?.name ?? 'the scanner'}: ${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'}${Object.keys(counts).length ? ` (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}, ${summary!.summary?.fixable ?? 0} fixable`,
      ...(over.length ? [`${over.length} at or above ${failOn}`] : []),
      ...findingTable(findings),
    ]);
    return over.length ? exitCodes.refused : exitCodes.ok;
  },
};
