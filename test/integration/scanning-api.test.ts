import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { debianOsRelease, dpkgStanza, gzipLayer } from '../helpers/layers.ts';
import { OciTestClient, ociIndexType, ociManifestType } from '../helpers/oci-client.ts';
import { criticalVector, highVector, mediumVector, osvAdvisory, osvDirectory } from '../helpers/osv.ts';
import { startScannerAdapter, type TestScannerAdapter } from '../helpers/scanner-adapter.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { jsonOf, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const reportType = 'application/vnd.security.vulnerability.report; version=1.1';

const advisories = [
  // Debian's advisories name source packages: bash's binary is 5.2.15-2+b13, its source 5.2.15-2.
  osvAdvisory({ id: 'DSA-9001-1', aliases: ['CVE-2026-1001'], ecosystem: 'Debian:12', name: 'bash', fixed: '5.2.15-3', cvss: highVector }),
  // Fixed before the installed version: no finding.
  osvAdvisory({ id: 'CVE-2026-1002', ecosystem: 'Debian:12', name: 'zlib', fixed: '1:1.2.12.dfsg-1', cvss: criticalVector }),
  // Another release's advisory: no finding on Debian 12.
  osvAdvisory({ id: 'CVE-2026-1003', ecosystem: 'Debian:11', name: 'bash', fixed: '5.1-2+deb11u2' }),
  osvAdvisory({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2026-1004'], ecosystem: 'npm', name: 'lodash', fixed: '4.17.21', cvss: criticalVector }),
  // PyPI names match whatever their case and separators.
  osvAdvisory({ id: 'PYSEC-2026-5', aliases: ['CVE-2026-1005'], ecosystem: 'PyPI', name: 'Requests', lastAffected: '2.31.0', cvss: mediumVector }),
];

/** Debian base, then an app layer with an npm and a Python package (and a marker file: a different image per marker). */
function imageLayers(marker = 'app'): Buffer[] {
  return [
    gzipLayer([
      { path: 'usr/lib/os-release', content: debianOsRelease },
      {
        path: 'var/lib/dpkg/status',
        content: [
          dpkgStanza({ name: 'bash', version: '5.2.15-2+b13', source: 'bash (5.2.15-2)' }),
          dpkgStanza({ name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' }),
        ].join('\n'),
      },
    ]),
    gzipLayer([
      { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
      { path: 'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache-2.0\n\n' },
      { path: 'etc/marker', content: marker },
    ]),
  ];
}

/**
 * Scanning through the API on both databases: advisories imported from a directory and a tarball, scan on push
 * with the built-in scanner, the overview, additions and SBOM referrers, SCANNING_* webhooks, malformed layers,
 * an external adapter following Harbor's protocol with a pull-only credential, stop, scan-all and the scanners API.
 */
describe.each(databaseKinds)('scanning (%s)', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  let receiver: WebhookReceiver;
  let adapter: TestScannerAdapter;
  let osvDir: string;
  const dirs: string[] = [];

  const artifact = async (project: string, repo: string, ref: string) =>
    (await (await api('GET', `/projects/${project}/repositories/${encodeURIComponent(repo)}/artifacts/${ref}?with_scan_overview=true&with_accessory=true`)).json()) as Record<string, any>;
  const overview = async (project: string, repo: string, ref: string) => (await artifact(project, repo, ref)).scan_overview?.[reportType] as Record<string, any> | undefined;
  const finished = (project: string, repo: string, ref: string) =>
    waitFor(`scan of ${project}/${repo}:${ref}`, async () => {
      const o = await overview(project, repo, ref);
      return o && ['Success', 'Error', 'Stopped'].includes(o.scan_status) ? o : undefined;
    });

  beforeAll(async () => {
    server = await createTestServer({ database, config: { jobs: { pollMs: 100 } } });
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    receiver = await startWebhookReceiver();
    adapter = await startScannerAdapter((a) => ({
      generated_at: new Date().toISOString(),
      artifact: { repository: a.repository, digest: a.digest, mime_type: a.mime_type },
      scanner: { name: 'Fake Trivy', vendor: 'Berth tests', version: '0.9.0' },
      severity: 'High',
      vulnerabilities: [{ id: 'CVE-2026-7777', package: 'openssl', version: '3.0.11', fix_version: '3.0.13', severity: 'High', links: ['https://example.invalid/CVE-2026-7777'] }],
    }));
    for (const [name, meta] of [['scan-auto', { auto_scan: 'true' }], ['scan-manual', {}], ['scan-ext', {}]] as const) {
      expect((await api('POST', '/projects', { project_name: name, public: false, metadata: meta })).status).toBe(201);
    }
    expect(
      (await api('POST', '/projects/scan-auto/webhook/policies', { name: 'scans', event_types: ['SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED'], max_attempts: 1, targets: [{ type: 'http', address: `${receiver.url}/hook` }] })).status,
    ).toBe(201);
    osvDir = await osvDirectory(advisories, { 'broken.json': '{"id": "X-1"}', 'notes.txt': 'not an advisory' });
    dirs.push(osvDir);
  });

  afterAll(async () => {
    await receiver?.close();
    await adapter?.close();
    await server?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('imports OSV advisories from a directory, counting what it rejects, and shows the database status', async () => {
    expect((await api('POST', '/scanning/advisories/imports', { source: osvDir })).status).toBe(202);
    const status = await waitFor('advisory import', async () => {
      const s = (await (await api('GET', '/scanning/advisories')).json()) as Record<string, any>;
      return s.sources?.[0]?.last_import?.status === 'Success' ? s : undefined;
    });
    expect(status.total).toBe(5);
    expect(status.updated_at).toEqual(expect.any(String));
    expect(status.newest_modified).toBe('2026-11-01T00:00:00.000Z');
    expect(status.sources[0]).toMatchObject({ source: osvDir, advisories: 5, last_import: { total: 6, added: 5, updated: 0, removed: 0, rejected: 1 } });
    expect(status.sources[0].last_import.error).toMatch(/broken\.json: .*modified/);
    expect(status.ecosystems.map((e: { ecosystem: string }) => e.ecosystem)).toEqual(['Debian', 'PyPI', 'npm']);
    // Only administrators see it.
    expect((await api('GET', '/scanning/advisories', undefined, null)).status).toBe(401);
    // A path that is not there is refused at once, and nothing is queued.
    const missing = await api('POST', '/scanning/advisories/imports', { source: '/nonexistent/osv' });
    expect(missing.status).toBe(400);
    expect(await apiErrorCode(missing)).toBe('BAD_REQUEST');
    expect((await api('POST', '/scanning/advisories/imports', {})).status).toBe(400);
  });

  it('imports a tarball as its own source, and a re-import replaces that source’s set', async () => {
    const bundleDir = await osvDirectory([osvAdvisory({ id: 'CVE-2026-2001', ecosystem: 'Go', name: 'golang.org/x/net', fixed: 'v0.17.0' }), osvAdvisory({ id: 'CVE-2026-2002', ecosystem: 'Alpine:v3.19', name: 'openssl', fixed: '3.1.4-r1' })]);
    dirs.push(bundleDir);
    const tarball = path.join(await mkdtemp(path.join(os.tmpdir(), 'berth-bundle-')), 'bundle.tar.gz');
    dirs.push(path.dirname(tarball));
    execFileSync('tar', ['-czf', tarball, '-C', bundleDir, '.']);
    const imported = await server.services.advisories.import(tarball);
    expect(imported).toMatchObject({ total: 2, added: 2, rejected: 0 });
    // Same bundle again: nothing changes.
    expect(await server.services.advisories.import(tarball)).toMatchObject({ total: 2, added: 0, updated: 0, removed: 0 });
    // A newer bundle with one advisory changed and one gone.
    const next = await osvDirectory([osvAdvisory({ id: 'CVE-2026-2001', ecosystem: 'Go', name: 'golang.org/x/net', fixed: 'v0.17.1', modified: '2026-11-20T00:00:00Z' })]);
    dirs.push(next);
    execFileSync('tar', ['-czf', tarball, '-C', next, '.']);
    expect(await server.services.advisories.import(tarball)).toMatchObject({ total: 1, added: 0, updated: 1, removed: 1 });
    const status = (await (await api('GET', '/scanning/advisories')).json()) as Record<string, any>;
    expect(status.total).toBe(6);
    expect(await server.services.advisories.import('/nonexistent/bundle').catch((e: Error) => e.message)).toMatch(/does not exist/);
  });

  it('imports OSV’s zip exports, from a path and from a URL on an internal mirror', async () => {
    const bundleDir = await osvDirectory([osvAdvisory({ id: 'CVE-2026-2101', ecosystem: 'Debian:12', name: 'openssl', fixed: '3.0.15-1~deb12u1' })], { 'README.txt': 'not json' });
    dirs.push(bundleDir);
    const zip = path.join(await mkdtemp(path.join(os.tmpdir(), 'berth-zip-')), 'all.zip');
    dirs.push(path.dirname(zip));
    execFileSync('zip', ['-q', '-j', zip, ...(await readdir(bundleDir)).map((f) => path.join(bundleDir, f))]);
    expect(await server.services.advisories.import(zip)).toMatchObject({ total: 1, added: 1, rejected: 0 });
    const mirror = createServer((req, res) => {
      if (req.url !== '/osv/Debian/all.zip') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/zip' });
      createReadStream(zip).pipe(res);
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/osv/Debian/all.zip`;
      expect(await server.services.advisories.import(url)).toMatchObject({ source: url, total: 1, added: 1 });
      expect(await server.services.advisories.import(url.replace('all.zip', 'none.zip')).catch((e: Error) => e.message)).toMatch(/answered 404/);
    } finally {
      await new Promise((resolve) => mirror.close(resolve));
    }
    const notZip = path.join(path.dirname(zip), 'broken.zip');
    await writeFile(notZip, 'PK not really');
    expect(await server.services.advisories.import(notZip).catch((e: Error) => e.message)).toMatch(/not a readable zip/);
  });

  it('scans on push with the built-in scanner and reports exactly the matching findings', async () => {
    const image = await oci.pushImage('scan-auto/app', '1.0', { layers: imageLayers() });
    const o = await finished('scan-auto', 'app', '1.0');
    expect(o).toMatchObject({ scan_status: 'Success', severity: 'Critical', complete_percent: 100, scanner: { name: 'Berth', vendor: 'Berth' }, summary: { total: 3, fixable: 2, summary: { Critical: 1, High: 1, Medium: 1 } } });
    const res = await api('GET', `/projects/scan-auto/repositories/app/artifacts/1.0/additions/vulnerabilities`);
    expect(res.status).toBe(200);
    const report = ((await res.json()) as Record<string, any>)[reportType];
    expect(report.artifact).toMatchObject({ repository: 'scan-auto/app', digest: image.digest });
    expect(report.vulnerabilities.map((v: Record<string, any>) => [v.id, v.package, v.version, v.fix_version ?? null, v.severity])).toEqual([
      ['CVE-2026-1001', 'bash', '5.2.15-2+b13', '5.2.15-3', 'High'],
      ['CVE-2026-1004', 'lodash', '4.17.20', '4.17.21', 'Critical'],
      ['CVE-2026-1005', 'requests', '2.31.0', null, 'Medium'],
    ]);
    const bash = report.vulnerabilities[0];
    expect(bash.preferred_cvss).toEqual({ score_v3: 7.5, vector_v3: highVector });
    expect(bash.links).toEqual(['https://security.example.invalid/DSA-9001-1']);
    expect(bash.vendor_attributes).toMatchObject({ osv_id: 'DSA-9001-1', ecosystem: 'Debian:12', path: 'var/lib/dpkg/status' });
  });

  it('attaches the SBOM as a referrer and serves it in CycloneDX and SPDX', async () => {
    const a = await artifact('scan-auto', 'app', '1.0');
    expect(a.accessories.map((x: { type: string }) => x.type)).toEqual(['sbom.harbor']);
    const referrers = await (await oci.request('GET', `/v2/scan-auto/app/referrers/${a.digest}`)).json();
    expect((referrers as { manifests: Array<{ artifactType: string }> }).manifests.map((m) => m.artifactType)).toEqual(['application/vnd.goharbor.harbor.sbom.v1']);
    const cdxRes = await api('GET', '/projects/scan-auto/repositories/app/artifacts/1.0/additions/sbom?format=cyclonedx');
    expect(cdxRes.headers.get('content-type')).toMatch(/application\/vnd\.cyclonedx\+json/);
    const cdx = (await cdxRes.json()) as Record<string, any>;
    expect(cdx).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', metadata: { component: { type: 'container', version: a.digest } } });
    expect(cdx.components.map((c: { purl?: string; type: string }) => c.purl ?? c.type).sort()).toEqual([
      'operating-system',
      'pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12',
      'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12',
      'pkg:npm/lodash@4.17.20',
      'pkg:pypi/requests@2.31.0',
    ].sort());
    const spdx = (await (await api('GET', '/projects/scan-auto/repositories/app/artifacts/1.0/additions/sbom')).json()) as Record<string, any>;
    expect(spdx).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    expect(spdx.packages.map((p: { name: string }) => p.name)).toEqual(['scan-auto/app', 'lodash', 'requests', 'bash', 'zlib1g']);
    expect((await api('GET', '/projects/scan-auto/repositories/app/artifacts/1.0/additions/sbom?format=xml')).status).toBe(400);
  });

  it('rescans a digest into the same SBOM, and sends SCANNING_COMPLETED with the overview', async () => {
    expect((await api('POST', '/projects/scan-auto/repositories/app/artifacts/1.0/scan')).status).toBe(202);
    await waitFor('the rescan', async () => {
      const reports = await server.services.db.knex('scan_reports').where({ repository: 'scan-auto/app', status: 'Success' }).count<Array<{ count: string }>>('* as count');
      return Number(reports[0]!.count) >= 2;
    });
    expect((await artifact('scan-auto', 'app', '1.0')).accessories).toHaveLength(1);
    const hooks = await receiver.waitFor(2, 'two scan webhooks');
    const body = jsonOf(hooks[0]!);
    expect(body).toMatchObject({ type: 'SCANNING_COMPLETED', operator: 'system', event_data: { repository: { repo_full_name: 'scan-auto/app' } } });
    expect(body.event_data.resources[0]).toMatchObject({ tag: '1.0', scan_overview: { [reportType]: { scan_status: 'Success', severity: 'Critical' } } });
  });

  it('fails the scan of a malformed layer with its reason, sends SCANNING_FAILED and stays up', async () => {
    receiver.requests.length = 0;
    await oci.pushImage('scan-auto/broken', '1', { layers: [Buffer.from('this is not gzip at all, nor a tar')] });
    const o = await finished('scan-auto', 'broken', '1');
    expect(o.scan_status).toBe('Error');
    const hooks = await receiver.waitFor(1, 'the failure webhook');
    expect(jsonOf(hooks[0]!)).toMatchObject({ type: 'SCANNING_FAILED', event_data: { custom_attributes: { Details: expect.stringMatching(/^layer 1 \(sha256:[0-9a-f]{12}\): the layer is not a tar archive: it ends after 34 bytes/) } } });
    const log = await api('GET', `/projects/scan-auto/repositories/broken/artifacts/1/scan/${o.report_id}/log`);
    expect(await log.text()).toMatch(/failed: layer 1/);
    expect((await fetch(`${server.url}/api/v2.0/ping`)).status).toBe(200);
    // Gates read the failure as a failed scan.
    const latest = await server.services.reports.latest((await artifact('scan-auto', 'broken', '1')).digest);
    expect(latest).toMatchObject({ status: 'Error', error: expect.stringMatching(/not a tar archive/) });
  });

  it('scans each image of a multi-platform index and joins their findings in the index report', async () => {
    const amd = await oci.pushImage('scan-auto/multi', 'amd64', { layers: imageLayers('amd64') });
    const arm = await oci.pushImage('scan-auto/multi', 'arm64', { layers: [gzipLayer([{ path: 'usr/lib/os-release', content: debianOsRelease }, { path: 'var/lib/dpkg/status', content: dpkgStanza({ name: 'bash', version: '5.2.15-2', arch: 'arm64' }) }])] });
    const index = {
      schemaVersion: 2,
      mediaType: ociIndexType,
      manifests: [
        { mediaType: ociManifestType, digest: amd.digest, size: amd.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: ociManifestType, digest: arm.digest, size: arm.manifest.length, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    };
    expect((await oci.putManifest('scan-auto/multi', 'latest', index, ociIndexType)).status).toBe(201);
    const o = await finished('scan-auto', 'multi', 'latest');
    expect(o).toMatchObject({ scan_status: 'Success', severity: 'Critical', summary: { total: 4 } });
    const report = ((await (await api('GET', '/projects/scan-auto/repositories/multi/artifacts/latest/additions/vulnerabilities')).json()) as Record<string, any>)[reportType];
    // bash on each platform in its own version; lodash and requests from the amd64 image only.
    expect(report.vulnerabilities.map((v: Record<string, string>) => `${v.id} ${v.package} ${v.version}`).sort()).toEqual([
      'CVE-2026-1001 bash 5.2.15-2',
      'CVE-2026-1001 bash 5.2.15-2+b13',
      'CVE-2026-1004 lodash 4.17.20',
      'CVE-2026-1005 requests 2.31.0',
    ]);
    for (const child of [amd.digest, arm.digest]) expect((await server.services.reports.latest(child))?.status).toBe('Success');
  });

  it('refuses to scan what has no filesystem, and scans only on request where auto_scan is off', async () => {
    await oci.pushImage('scan-manual/app', '1', { layers: imageLayers('manual') });
    await new Promise((r) => setTimeout(r, 300));
    expect(await overview('scan-manual', 'app', '1')).toBeUndefined();
    expect((await api('POST', '/projects/scan-manual/repositories/app/artifacts/1/scan', { scan_type: 'bogus' })).status).toBe(400);
    expect((await api('POST', '/projects/scan-manual/repositories/app/artifacts/1/scan')).status).toBe(202);
    expect((await finished('scan-manual', 'app', '1')).scan_status).toBe('Success');
    const sbom = (await artifact('scan-manual', 'app', '1')).accessories[0];
    const res = await api('POST', `/projects/scan-manual/repositories/app/artifacts/${sbom.digest}/scan`);
    expect(res.status).toBe(400);
    expect(await apiErrorCode(res)).toBe('BAD_REQUEST');
  });

  it('manages scanner registrations as Harbor does', async () => {
    const list = (await (await api('GET', '/scanners')).json()) as Array<Record<string, any>>;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'Berth', url: 'builtin://berth', is_default: true, disabled: false });
    const builtinId = list[0]!.uuid as string;
    expect((await api('POST', '/scanners/ping', { url: adapter.url })).status).toBe(200);
    expect((await api('POST', '/scanners/ping', { url: 'http://127.0.0.1:9' })).status).toBe(400);
    const created = await api('POST', '/scanners', { name: 'fake-trivy', url: adapter.url, auth: 'Bearer', access_credential: 'adapter-secret' });
    expect(created.status).toBe(201);
    const uuid = created.headers.get('location')!.split('/').pop()!;
    const reg = (await (await api('GET', `/scanners/${uuid}`)).json()) as Record<string, any>;
    expect(reg).toMatchObject({ name: 'fake-trivy', auth: 'Bearer', access_credential: '********', is_default: false });
    const stored = await server.services.db.knex('scanners').where({ uuid }).first();
    expect(stored.access_credential).not.toContain('adapter-secret');
    expect((await api('POST', '/scanners', { name: 'fake-trivy', url: adapter.url })).status).toBe(409);
    expect((await api('POST', '/scanners', { name: 'x', url: 'file:///etc/passwd' })).status).toBe(400);
    expect((await api('POST', '/scanners', { name: 'another-builtin', url: 'builtin://berth' })).status).toBe(400);
    expect((await api('PUT', `/scanners/${uuid}`, { name: 'fake-trivy', url: 'builtin://berth' })).status).toBe(400);
    expect(((await (await api('GET', `/scanners/${uuid}/metadata`)).json()) as Record<string, any>).scanner).toEqual({ name: 'Fake Trivy', vendor: 'Berth tests', version: '0.9.0' });
    expect((await api('PATCH', `/scanners/${uuid}`, { is_default: true })).status).toBe(200);
    expect((await api('DELETE', `/scanners/${uuid}`)).status).toBe(412);
    expect((await api('PATCH', `/scanners/${builtinId}`, { is_default: true })).status).toBe(200);
    expect((await api('DELETE', `/scanners/${builtinId}`)).status).toBe(412);
    expect((await api('PUT', `/scanners/${builtinId}`, { name: 'Berth', url: 'http://elsewhere.invalid' })).status).toBe(412);
    const users = await api('GET', '/scanners', undefined, null);
    expect(users.status).toBe(401);
  });

  it('scans through an external adapter: 202, 302 with Refresh-After, then the report in the overview', async () => {
    const uuid = ((await (await api('GET', '/scanners?q=name%3Dfake-trivy')).json()) as Array<{ uuid: string }>)[0]!.uuid;
    expect((await api('PUT', '/projects/scan-ext/scanner', { uuid })).status).toBe(200);
    expect(((await (await api('GET', '/projects/scan-ext/scanner')).json()) as { name: string }).name).toBe('fake-trivy');
    const image = await oci.pushImage('scan-ext/app', 'v1', { layers: imageLayers('ext') });
    expect((await api('POST', '/projects/scan-ext/repositories/app/artifacts/v1/scan')).status).toBe(202);
    const o = await finished('scan-ext', 'app', 'v1');
    expect(o).toMatchObject({ scan_status: 'Success', severity: 'High', scanner: { name: 'Fake Trivy' }, summary: { total: 1, fixable: 1 } });
    const scan = adapter.scans.at(-1)!;
    expect(scan.authorization).toBe('Bearer adapter-secret');
    expect(scan.request.artifact).toMatchObject({ repository: 'scan-ext/app', digest: image.digest, tag: 'v1', mime_type: 'application/vnd.oci.image.manifest.v1+json' });
    expect(scan.request.registry.url).toBe(server.url);
    expect(scan.request.registry.authorization).toMatch(/^Bearer ey/);
    // The handed credential pulls that artifact and nothing more.
    expect(scan.pullStatus).toBe(200);
    expect([401, 403]).toContain(scan.pushStatus);
    expect(scan.polls).toBe(2);
  });

  it('stops a scan under way: the report says Stopped, SCANNING_STOPPED is sent and audited', async () => {
    adapter.pendingPolls = Infinity;
    await oci.pushImage('scan-ext/slow', 'v1', { layers: imageLayers('slow') });
    expect((await api('POST', '/projects/scan-ext/repositories/slow/artifacts/v1/scan')).status).toBe(202);
    await waitFor('the adapter to be asked', async () => adapter.scans.some((s) => s.request.artifact.repository === 'scan-ext/slow'));
    expect((await api('POST', '/projects/scan-ext/repositories/slow/artifacts/v1/scan/stop')).status).toBe(202);
    expect((await finished('scan-ext', 'slow', 'v1')).scan_status).toBe('Stopped');
    expect((await api('POST', '/projects/scan-ext/repositories/slow/artifacts/v1/scan/stop')).status).toBe(412);
    const audit = (await (await api('GET', '/audit-logs?q=operation%3Dstop')).json()) as Array<Record<string, any>>;
    expect(audit[0]).toMatchObject({ resource_type: 'artifact', operation: 'stop', username: 'admin' });
    adapter.pendingPolls = 1;
  });

  it('scans everything on demand with scan-all, and reports its metrics', async () => {
    const before = Number((await server.services.db.knex('scan_reports').count<Array<{ count: string }>>('* as count'))[0]!.count);
    const res = await api('POST', '/system/scanAll/schedule', { schedule: { type: 'Manual' } });
    expect(res.status).toBe(201);
    const metrics = await waitFor('scan-all to finish', async () => {
      const m = (await (await api('GET', '/scans/all/metrics')).json()) as Record<string, any>;
      return m.total > 0 && m.completed === m.total && !m.ongoing ? m : undefined;
    }, 60_000);
    // Images of scan-auto (app, broken, the multi index), scan-manual (app) and scan-ext (app, slow); never an
    // index's children on their own, nor the SBOM attachments.
    expect(metrics).toMatchObject({ total: 6, trigger: 'Manual' });
    expect(metrics.metrics.Success + (metrics.metrics.Error ?? 0)).toBe(6);
    const after = Number((await server.services.db.knex('scan_reports').count<Array<{ count: string }>>('* as count'))[0]!.count);
    // The index's children are reused: their reports are newer than the last advisory change.
    expect(after - before).toBe(6);
    expect((await api('PUT', '/system/scanAll/schedule', { schedule: { type: 'Daily' } })).status).toBe(200);
    expect(((await (await api('GET', '/system/scanAll/schedule')).json()) as Record<string, any>).schedule).toMatchObject({ type: 'Daily', cron: '0 0 0 * * *' });
    expect((await api('PUT', '/system/scanAll/schedule', { schedule: { type: 'Custom', cron: 'nope' } })).status).toBe(400);
  });

  it('lets project members read the project scanner and only project admins choose it', async () => {
    expect((await api('POST', '/users', { username: 'scan-dev', email: 'scan-dev@example.com', realname: 'd', password: 'Scan-Passw0rd' })).status).toBe(201);
    const dev = basic('scan-dev', 'Scan-Passw0rd');
    expect((await api('POST', '/projects/scan-ext/members', { role_id: 2, member_user: { username: 'scan-dev' } })).status).toBe(201);
    expect((await api('GET', '/projects/scan-ext/scanner', undefined, dev)).status).toBe(200);
    expect((await api('PUT', '/projects/scan-ext/scanner', { uuid: 'x' }, dev)).status).toBe(403);
    expect((await api('POST', '/projects/scan-ext/repositories/app/artifacts/v1/scan', undefined, dev)).status).toBe(403);
    expect((await api('GET', '/projects/scan-ext/scanner', undefined, null)).status).toBe(401);
  });
});
