import type { Finding } from '../../client/api-types.ts';
import { referenceOf } from '../../client/image-ref.ts';
import { failOnSeverities, scanAndWait, ScanTimeout, severityRank } from '../../client/scan-wait.ts';
import { str, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { exitCodes } from '../exit-codes.ts';

function findingTable(findings: Finding[], limit = 25): string[] {
  if (findings.length === 0) return [];
  const rows = findings.slice(0, limit).map((f) => [f.severity, f.id, f.package, f.version, f.fix_version ?? '-']);
  const header = ['SEVERITY', 'ID', 'PACKAGE', 'VERSION', 'FIXED IN'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return ['', line(header), ...rows.map(line), ...(findings.length > limit ? [`... and ${findings.length - limit} more (--output json lists them all)`] : [])];
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
    if (failOn !== undefined && !failOnSeverities.includes(failOn.toLowerCase())) throw new UsageError(`--fail-on is one of ${failOnSeverities.join(', ')}`);
    const timeout = Number(str(ctx.values.timeout) ?? 600);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86_400) throw new UsageError('--timeout is a number of seconds from 1 to 86400');
    const image = await ctx.image(args[0]);
    const api = await ctx.api(image.origin);
    const repository = image.ref.repository;
    if (ctx.values['no-wait'] === true) {
      const { digest } = await api.scanSummary(repository, referenceOf(image.ref));
      await api.scan(repository, digest);
      ctx.result({ requested: true, digest }, () => `scan requested for ${repository}@${digest}`);
      return exitCodes.ok;
    }
    let outcome;
    try {
      outcome = await scanAndWait(api, repository, referenceOf(image.ref), { timeoutMs: timeout * 1000 });
    } catch (err) {
      if (!(err instanceof ScanTimeout)) throw err;
      ctx.err(err.message);
      return exitCodes.error;
    }
    const { digest, summary, findings } = outcome;
    if (summary.scan_status !== 'Success') {
      ctx.result({ scanned: false, digest, status: summary.scan_status, report: summary }, () => `the scan of ${repository}@${digest} ended ${summary.scan_status}; see its log: GET .../scan/${summary.report_id}/log`);
      return exitCodes.error;
    }
    const over = failOn === undefined ? [] : findings.filter((f) => severityRank(f.severity) >= severityRank(failOn));
    const counts = summary.summary?.summary ?? {};
    ctx.result({ scanned: true, digest, severity: summary.severity, summary: summary.summary, scanner: summary.scanner, failed: over.length > 0, vulnerabilities: findings }, () => [
      `${over.length ? 'FAILED' : 'scanned'}: ${repository}@${digest} by ${summary.scanner?.name ?? 'the scanner'}: ${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'}${Object.keys(counts).length ? ` (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}, ${summary.summary?.fixable ?? 0} fixable`,
      ...(over.length ? [`${over.length} at or above ${failOn}`] : []),
      ...findingTable(findings),
    ]);
    return over.length ? exitCodes.refused : exitCodes.ok;
  },
};
