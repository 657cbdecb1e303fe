import { describe, expect, it } from 'vitest';
import type { SignatureCheck } from '../../signing/signatures.ts';
import type { StoredReport, VulnerabilityReport } from '../../scanning/reports.ts';
import { evaluateApprovalGate, type ApprovalFact } from './approval.gate.ts';
import { evaluateLabelsGate } from './labels.gate.ts';
import { evaluateReferrerGate } from './referrer.gate.ts';
import { evaluateSignatureGate } from './signature.gate.ts';
import { evaluateVulnerabilityGate } from './vulnerability.gate.ts';

const check = (over: Partial<SignatureCheck>): SignatureCheck => ({
  format: 'cosign',
  attachment: 'tag',
  signatureDigest: 'sha256:sig',
  index: 0,
  valid: true,
  trustedBy: 'release',
  reason: 'verified',
  ...over,
});
const trust = { name: 'default', version: 1 };

describe('the signature gate', () => {
  it('counts distinct trusted signers, not signatures', () => {
    const gate = { type: 'signature' as const, trustPolicy: 'default', minSignatures: 2 };
    expect(evaluateSignatureGate(gate, { trustPolicy: trust, checks: [check({}), check({ index: 1 })] }).passed).toBe(false);
    const two = evaluateSignatureGate(gate, { trustPolicy: trust, checks: [check({}), check({ trustedBy: 'ci' })] });
    expect(two).toEqual({ passed: true, reason: '2 valid signatures by ci, release (trust policy default)' });
  });

  it('names why: unsigned, untrusted, over another digest, tampered, or no such trust policy', () => {
    const gate = { type: 'signature' as const, trustPolicy: 'default' };
    expect(evaluateSignatureGate(gate, { trustPolicy: trust, checks: [] }).reason).toMatch(/^unsigned/);
    const untrusted = evaluateSignatureGate(gate, { trustPolicy: trust, checks: [check({ valid: false, trustedBy: undefined, reason: 'signed by a key not in trust policy default' })] });
    expect(untrusted).toEqual({ passed: false, reason: '0 of 1 required signatures verify against trust policy default: signed by a key not in trust policy default' });
    const other = evaluateSignatureGate(gate, { trustPolicy: trust, checks: [check({ valid: false, reason: 'the payload names sha256:bbb, not sha256:aaa' })] });
    expect(other.reason).toContain('names sha256:bbb');
    expect(evaluateSignatureGate(gate, { trustPolicy: null, checks: [check({})] })).toEqual({ passed: false, reason: 'trust policy "default" is not applied, so no signature can verify' });
  });

  it('counts only the formats the gate names', () => {
    const gate = { type: 'signature' as const, trustPolicy: 'default', formats: ['notation' as const] };
    const result = evaluateSignatureGate(gate, { trustPolicy: trust, checks: [check({})] });
    expect(result.passed).toBe(false);
    expect(result.reason).toBe('unsigned: no notation signature is attached (1 of another format ignored)');
  });
});

const now = new Date('2026-12-01T12:00:00Z');
const report = (vulns: VulnerabilityReport['vulnerabilities'], generatedAt = new Date('2026-12-01T10:00:00Z')): StoredReport => ({
  id: 7,
  digest: 'sha256:aaa',
  mimeType: 'application/vnd.security.vulnerability.report; version=1.1',
  startedAt: null,
  finishedAt: null,
  scannerId: null,
  repository: null,
  status: 'Success',
  scanner: { name: 'Trivy', vendor: 'Aqua', version: '0.50' },
  report: { generated_at: generatedAt.toISOString(), scanner: { name: 'Trivy', vendor: 'Aqua', version: '0.50' }, severity: 'Critical', vulnerabilities: vulns },
  generatedAt,
  createdAt: generatedAt,
  error: null,
});
const critical = { id: 'CVE-2024-0001', package: 'openssl', version: '3.0.1', fix_version: '3.0.2', severity: 'Critical' as const };
const low = { id: 'CVE-2024-0002', package: 'zlib', version: '1.2', severity: 'Low' as const };

describe('the vulnerability gate', () => {
  const gate = { type: 'vulnerability' as const, maxSeverity: 'High' as const };

  it('refuses a Critical finding over the threshold, naming it', () => {
    const result = evaluateVulnerabilityGate(gate, { report: report([critical, low]), now });
    expect(result.passed).toBe(false);
    expect(result.reason).toBe('1 vulnerability above High, the worst Critical CVE-2024-0001 in openssl 3.0.1: CVE-2024-0001');
    expect(result.summary).toMatchObject({ above: 1, blocking: [{ id: 'CVE-2024-0001', fix_version: '3.0.2' }] });
  });

  it('lets an allowlisted CVE pass until its entry expires', () => {
    const listed = { ...gate, allowlist: [{ id: 'CVE-2024-0001', expiresAt: '2027-01-01T00:00:00Z' }] };
    expect(evaluateVulnerabilityGate(listed, { report: report([critical]), now })).toMatchObject({ passed: true, reason: 'no finding above High once 1 allowlisted CVE is set aside' });
    const expired = { ...gate, allowlist: [{ id: 'CVE-2024-0001', expiresAt: '2026-11-30T00:00:00Z' }] };
    const result = evaluateVulnerabilityGate(expired, { report: report([critical]), now });
    expect(result.passed).toBe(false);
    expect(result.reason).toContain('allowlist entry expired for CVE-2024-0001');
  });

  it('refuses a stale report, an unscanned artifact and a failed scan', () => {
    expect(evaluateVulnerabilityGate({ ...gate, maxReportAgeHours: 1 }, { report: report([]), now }).reason).toBe('the report is stale: generated 2.0 hours ago, at most 1 allowed');
    expect(evaluateVulnerabilityGate(gate, { report: null, now })).toMatchObject({ passed: false, reason: 'the artifact has not been scanned; a successful scan is required' });
    const failed = { ...report([]), status: 'Error' as const, report: null, error: 'layer unreadable' };
    expect(evaluateVulnerabilityGate(gate, { report: failed, now }).reason).toBe('the last scan failed (layer unreadable); a successful scan is required');
    expect(evaluateVulnerabilityGate({ ...gate, requireScan: false }, { report: null, now }).passed).toBe(true);
  });

  it('passes findings at or below the threshold', () => {
    expect(evaluateVulnerabilityGate({ type: 'vulnerability', maxSeverity: 'Low' }, { report: report([low]), now })).toMatchObject({ passed: true, reason: 'no finding above Low' });
  });
});

describe('the approval gate', () => {
  const gate = { type: 'approval' as const, count: 2, minRole: 'maintainer' as const };
  const approval = (approver: string, roleId: number | null, sysadmin = false): ApprovalFact => ({ id: 1, approver, roleId, sysadmin, createdAt: now });

  it('needs distinct approvers holding the role, and never counts the pusher', () => {
    expect(evaluateApprovalGate(gate, { approvals: [approval('ann', 4), approval('bob', 1)], pusher: 'carl' })).toMatchObject({ passed: true, counted: ['ann', 'bob'] });
    const byPusher = evaluateApprovalGate(gate, { approvals: [approval('ann', 4), approval('carl', 1)], pusher: 'carl' });
    expect(byPusher.passed).toBe(false);
    expect(byPusher.reason).toBe('1 of 2 required approvals by a maintainer or above (ann); carl pushed the artifact and cannot approve it');
  });

  it('counts system administrators, ignores lower roles, and says when approvals are missing', () => {
    const result = evaluateApprovalGate(gate, { approvals: [approval('root', null, true), approval('dev', 2)], pusher: 'carl' });
    expect(result).toMatchObject({ passed: false, counted: ['root'] });
    expect(result.reason).toContain('dev does not hold maintainer or above');
    expect(evaluateApprovalGate(gate, { approvals: [], pusher: 'carl' }).reason).toBe('0 of 2 required approvals by a maintainer or above; missing approval');
  });

  it('fails closed when the pusher is unknown', () => {
    expect(evaluateApprovalGate({ ...gate, count: 1 }, { approvals: [approval('ann', 4)], pusher: null }).passed).toBe(false);
  });
});

describe('the referrer and labels gates', () => {
  const gate = { type: 'referrer' as const, artifactType: 'application/spdx+json', trustPolicy: 'default' };

  it('needs the attached artifact, signed unless the gate says otherwise', () => {
    expect(evaluateReferrerGate(gate, { referrers: [], trustPolicy: trust })).toEqual({ passed: false, reason: 'missing required referrer: no application/spdx+json is attached' });
    expect(evaluateReferrerGate(gate, { referrers: [{ digest: 'sha256:sbom', checks: [] }], trustPolicy: trust }).reason).toBe('the attached application/spdx+json carries no valid signature of trust policy default (unsigned)');
    expect(evaluateReferrerGate(gate, { referrers: [{ digest: 'sha256:sbom', checks: [check({})] }], trustPolicy: trust }).passed).toBe(true);
    expect(evaluateReferrerGate({ ...gate, signed: false }, { referrers: [{ digest: 'sha256:sbom', checks: [] }], trustPolicy: null }).passed).toBe(true);
  });

  it('checks required and forbidden labels', () => {
    expect(evaluateLabelsGate({ type: 'labels', required: ['qa-passed'], forbidden: ['do-not-ship'] }, ['qa-passed']).passed).toBe(true);
    expect(evaluateLabelsGate({ type: 'labels', required: ['qa-passed'], forbidden: ['do-not-ship'] }, ['do-not-ship']).reason).toBe('missing required label qa-passed; carries forbidden label do-not-ship');
  });
});
