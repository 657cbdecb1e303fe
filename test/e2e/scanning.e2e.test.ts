import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionLadderDoc } from '../../server/policy/documents.ts';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { debianImageLayout, debianRootfs, dpkgQuery } from '../helpers/debian-image.ts';
import { criticalVector, highVector, osvAdvisory, osvDirectory } from '../helpers/osv.ts';
import { adminPassword, createTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { inProcessBerth, requireTools, Sandbox, ToolError, umociImage } from './tools.ts';

const reportType = 'application/vnd.security.vulnerability.report; version=1.1';
const named = { 'X-Is-Resource-Name': 'true' };

/**
 * The acceptance test of scanning, with real parts: a Debian bookworm minbase root filesystem made by debootstrap,
 * packed as an OCI image and pushed with skopeo into a stage project that scans on push. Its inventory must be
 * exactly what dpkg-query reports inside that root filesystem; hand-written OSV advisories for three of its
 * packages (one fixed in a later version, one fixed before the installed one, one Critical and unfixed) must give
 * exactly the two expected findings. Then the promotion gate refuses the image for its Critical finding, the
 * allowlisted CVE lets it through, and prod's pull prevention refuses an image that was never scanned.
 */
describe('scanning a Debian bookworm image end to end', () => {
  let server: TestServer;
  let sb: Sandbox;
  let api: ApiCall;
  let packages: Awaited<ReturnType<typeof dpkgQuery>>;
  let image: Awaited<ReturnType<typeof debianImageLayout>>;
  let osvDir: string;
  const bash = { id: 'CVE-2026-3001', fixed: '' };
  const critical = 'CVE-2026-3003';

  const ladder: PromotionLadderDoc = {
    apiVersion: 'berth.dev/v1',
    kind: 'PromotionLadder',
    metadata: { name: 'scan-e2e' },
    spec: {
      stages: [
        { name: 'dev', project: 'scan-e2e-dev' },
        { name: 'prod', project: 'scan-e2e-prod' },
      ],
      transitions: [{ to: 'prod', gates: [{ type: 'vulnerability', maxSeverity: 'High' }] }],
    },
  };

  beforeAll(async () => {
    await requireTools('skopeo', 'umoci');
    const rootfs = await debianRootfs();
    packages = await dpkgQuery(rootfs);
    image = await debianImageLayout();
    const source = (name: string) => packages.find((p) => p.source === name)!;
    bash.fixed = `${source('bash').sourceVersion}+berth1`;
    const zlib = source('zlib');
    osvDir = await osvDirectory([
      // Fixed in a version later than the installed one: a finding with its fix.
      osvAdvisory({ id: 'DSA-9301-1', aliases: [bash.id], ecosystem: 'Debian:12', name: 'bash', fixed: bash.fixed, cvss: highVector }),
      // Fixed before the installed version: no finding.
      osvAdvisory({ id: 'CVE-2026-3002', ecosystem: 'Debian:12', name: 'zlib', fixed: `${zlib.sourceVersion.split(':')[0]}:1.2.0-1`, cvss: criticalVector }),
      // Critical, and the installed version is the last one affected: a finding without a fix.
      osvAdvisory({ id: critical, ecosystem: 'Debian:12', name: 'tar', lastAffected: source('tar').sourceVersion, cvss: criticalVector }),
    ]);
    server = await createTestServer({ config: { jobs: { pollMs: 100 } } });
    sb = await Sandbox.create('scanning', inProcessBerth(server, adminPassword));
    api = apiClient(server);
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
    if (osvDir) await rm(osvDir, { recursive: true, force: true });
  });

  it('sets up the ladder, scan on push in dev, pull prevention in prod, and imports the advisories', async () => {
    expect((await api('PUT', '/policies', ladder)).status).toBe(201);
    expect((await api('PUT', '/projects/scan-e2e-dev', { metadata: { auto_scan: 'true' } }, undefined, named)).status).toBe(200);
    expect((await api('PUT', '/projects/scan-e2e-prod', { metadata: { prevent_vul: 'true', severity: 'critical' } }, undefined, named)).status).toBe(200);
    expect((await api('POST', '/scanning/advisories/imports', { source: osvDir })).status).toBe(202);
    await waitFor('the advisory import', async () => ((await (await api('GET', '/scanning/advisories')).json()) as { total: number }).total === 3);
  });

  it('scans the image pushed with skopeo, and its inventory is what dpkg-query reports inside the rootfs', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${image.layout}:${image.tag}`, sb.ref('scan-e2e-dev/debian:12')]);
    const overview = await waitFor(
      'the scan on push',
      async () => {
        const a = (await (await api('GET', '/projects/scan-e2e-dev/repositories/debian/artifacts/12?with_scan_overview=true')).json()) as Record<string, any>;
        const o = a.scan_overview?.[reportType];
        return o && o.scan_status !== 'Pending' && o.scan_status !== 'Running' ? o : undefined;
      },
      120_000,
    );
    expect(overview).toMatchObject({ scan_status: 'Success', severity: 'Critical', summary: { total: 2, fixable: 1, summary: { Critical: 1, High: 1 } } });

    const sbom = (await (await api('GET', '/projects/scan-e2e-dev/repositories/debian/artifacts/12/additions/sbom?format=cyclonedx')).json()) as { components: Array<{ type: string; name: string; version?: string; properties?: Array<{ name: string; value: string }> }> };
    const found = sbom.components.filter((c) => c.type === 'library').map((c) => `${c.name} ${c.version}`).sort();
    expect(packages.length).toBeGreaterThan(80);
    expect(found).toEqual(packages.map((p) => `${p.name} ${p.version}`).sort());
    const os = sbom.components.find((c) => c.type === 'operating-system');
    expect(os).toMatchObject({ name: 'debian', version: '12' });
  });

  it('reports exactly the expected findings', async () => {
    const res = await api('GET', '/projects/scan-e2e-dev/repositories/debian/artifacts/12/additions/vulnerabilities');
    const report = ((await res.json()) as Record<string, { vulnerabilities: Array<Record<string, any>> }>)[reportType]!;
    const expected = [
      ...packages.filter((p) => p.source === 'bash').map((p) => [bash.id, p.name, p.version, bash.fixed, 'High']),
      ...packages.filter((p) => p.source === 'tar').map((p) => [critical, p.name, p.version, null, 'Critical']),
    ];
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(report.vulnerabilities.map((v) => [v.id, v.package, v.version, v.fix_version ?? null, v.severity])).toEqual(expected);
    expect(report.vulnerabilities.find((v) => v.id === critical)!.preferred_cvss).toEqual({ score_v3: 9.8, vector_v3: criticalVector });
  });

  it('refuses the promotion for the Critical finding, and lets it through once the CVE is allowlisted', async () => {
    const digest = ((await (await api('GET', '/projects/scan-e2e-dev/repositories/debian/artifacts/12')).json()) as { digest: string }).digest;
    const refused = await api('POST', '/promotions', { artifact: `scan-e2e-dev/debian@${digest}`, tags: ['12'] });
    const text = await refused.text();
    expect(refused.status, text).toBe(412);
    expect(text).toContain(`the worst Critical ${critical} in tar`);

    expect((await api('PUT', '/system/CVEAllowlist', { items: [{ cve_id: critical }] })).status).toBe(200);
    const promoted = await api('POST', '/promotions', { artifact: `scan-e2e-dev/debian@${digest}`, tags: ['12'] });
    expect(promoted.status, await promoted.clone().text()).toBe(201);
    // In prod the scanned, allowlisted image may be pulled.
    expect((await sb.manifest('scan-e2e-prod/debian', '12')).status).toBe(200);
  });

  it('refuses to let prod pull an image that was never scanned', async () => {
    const layout = sb.path('small');
    await umociImage(sb, layout, 'v1', { layers: [{ 'app/hello.txt': 'never scanned\n' }] });
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout}:v1`, sb.ref('scan-e2e-prod/unscanned:v1')]);
    const err = await sb.skopeo(['copy', '--src-tls-verify=false', '--src-creds', sb.creds, sb.ref('scan-e2e-prod/unscanned:v1'), `oci:${sb.path('pulled')}:v1`]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).stderr).toMatch(/has not been scanned/);
  });
});
