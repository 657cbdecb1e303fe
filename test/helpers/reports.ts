import { severityOrder, type VulnerabilityReport } from '../../server/scanning/reports.ts';

/** A Harbor v1.1 report with these findings (each in openssl 3.0.1, fixed in 3.0.9), its severity the worst of them. */
export function vulnerabilityReport(findings: Array<{ id: string; severity: VulnerabilityReport['severity'] }>, generatedAt = new Date().toISOString()): VulnerabilityReport {
  const severity = findings.reduce<VulnerabilityReport['severity']>((worst, f) => (severityOrder.indexOf(f.severity) > severityOrder.indexOf(worst) ? f.severity : worst), 'None');
  return {
    generated_at: generatedAt,
    scanner: { name: 'test-scanner', vendor: 'berth-tests', version: '1' },
    severity,
    vulnerabilities: findings.map((f) => ({ id: f.id, package: 'openssl', version: '3.0.1', fix_version: '3.0.9', severity: f.severity })),
  };
}
