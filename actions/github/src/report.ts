import * as core from '@actions/core';
import type { Finding, GateResult } from '../../../server/client/api-types.ts';

/** The gate table of the job summary: one row per gate with its stage, result and reason. */
export async function writeGateSummary(title: string, verdict: string, gates: Array<Pick<GateResult, 'stage' | 'type' | 'passed' | 'reason'>>): Promise<void> {
  core.summary.addHeading(title, 3).addRaw(`<p>${escape(verdict)}</p>`, true);
  if (gates.length === 0) core.summary.addRaw('<p>No gates guard this stage.</p>', true);
  else
    core.summary.addTable([
      [
        { data: 'Stage', header: true },
        { data: 'Gate', header: true },
        { data: 'Result', header: true },
        { data: 'Reason', header: true },
      ],
      ...gates.map((g) => [escape(g.stage), escape(g.type), g.passed ? '✅ pass' : '❌ fail', escape(g.reason)]),
    ]);
  await core.summary.write();
}

/** The scan's findings in the job summary, worst first (the first 50). */
export async function writeScanSummary(artifact: string, findings: Finding[], verdict: string): Promise<void> {
  core.summary.addHeading(`Berth scan: ${escape(artifact)}`, 3).addRaw(`<p>${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'}. ${escape(verdict)}</p>`, true);
  if (findings.length)
    core.summary.addTable([
      [
        { data: 'Severity', header: true },
        { data: 'ID', header: true },
        { data: 'Package', header: true },
        { data: 'Version', header: true },
        { data: 'Fixed in', header: true },
      ],
      ...findings.slice(0, 50).map((f) => [escape(f.severity), escape(f.id), escape(f.package), escape(f.version), escape(f.fix_version ?? '-')]),
    ]);
  await core.summary.write();
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The outputs every command sets, as strings (what GitHub stores). */
export function setOutputs(out: { digest?: string; image?: string; promoted?: boolean; gates?: unknown; scan?: unknown }): void {
  if (out.digest) core.setOutput('digest', out.digest);
  if (out.image) core.setOutput('image', out.image);
  if (out.promoted !== undefined) core.setOutput('promoted', String(out.promoted));
  if (out.gates !== undefined) core.setOutput('gate-report', JSON.stringify(out.gates));
  if (out.scan !== undefined) core.setOutput('scan-report', JSON.stringify(out.scan));
}
