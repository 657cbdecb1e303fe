import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianOsRelease, dpkgStanza, gzipLayer } from '../helpers/layers.ts';
import { criticalVector, osvAdvisory, osvDirectory } from '../helpers/osv.ts';
import { pipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture.ts';

/**
 * `berth scan` as a pipeline step, the real CLI against a running Berth: it asks for a scan, waits for the report,
 * prints the findings worst first, and its exit code says whether anything reached --fail-on.
 */
describe('berth scan', () => {
  let fx: PipelineFixture;
  let osvDir: string;

  beforeAll(async () => {
    fx = await pipelineFixture('cliscan');
    osvDir = await osvDirectory([
      osvAdvisory({ id: 'GHSA-cccc-dddd-eeee', aliases: ['CVE-2026-4001'], ecosystem: 'npm', name: 'minimist', fixed: '1.2.6', cvss: criticalVector }),
      osvAdvisory({ id: 'CVE-2026-4002', ecosystem: 'Debian:12', name: 'bash', fixed: '5.2.15-3' }),
    ]);
    await fx.server.services.advisories.import(osvDir);
    await fx.registry.pushImage(`${fx.stages.dev}/app`, '1', {
      layers: [
        gzipLayer([
          { path: 'etc/os-release', content: debianOsRelease },
          { path: 'var/lib/dpkg/status', content: dpkgStanza({ name: 'bash', version: '5.2.15-2' }) },
          { path: 'srv/node_modules/minimist/package.json', content: JSON.stringify({ name: 'minimist', version: '1.2.5' }) },
        ]),
      ],
    });
    await fx.registry.pushImage(`${fx.stages.dev}/broken`, '1', { layers: [Buffer.from('not a layer')] });
  });
  afterAll(async () => {
    await fx?.stop();
    if (osvDir) await rm(osvDir, { recursive: true, force: true });
  });

  it('waits for the report and exits 3 when a finding reaches --fail-on', async () => {
    const r = await fx.berth(['scan', `${fx.host}/${fx.stages.dev}/app:1`, '--fail-on', 'high']);
    expect(r.code, r.stderr).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^FAILED: cliscan-dev\/app@sha256:[0-9a-f]{64} by Berth: 2 vulnerabilities \(1 Critical, 1 Unknown\), 2 fixable$/);
    expect(lines).toContain('1 at or above high');
    expect(lines.slice(4).map((l) => l.split(/\s+/).slice(0, 5).join(' '))).toEqual(['Critical CVE-2026-4001 minimist 1.2.5 1.2.6', 'Unknown CVE-2026-4002 bash 5.2.15-2 5.2.15-3']);
  });

  it('exits 0 below the threshold and reports in JSON', async () => {
    const r = await fx.berth(['scan', `${fx.host}/${fx.stages.dev}/app:1`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout) as { scanned: boolean; failed: boolean; severity: string; vulnerabilities: Array<{ id: string }> };
    expect(body).toMatchObject({ scanned: true, failed: false, severity: 'Critical' });
    expect(body.vulnerabilities.map((v) => v.id).sort()).toEqual(['CVE-2026-4001', 'CVE-2026-4002']);
  });

  it('exits 1 when the scan fails, and 2 for a bad threshold', async () => {
    const failed = await fx.berth(['scan', `${fx.host}/${fx.stages.dev}/broken:1`]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ended Error/);
    const usage = await fx.berth(['scan', `${fx.host}/${fx.stages.dev}/app:1`, '--fail-on', 'severe']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--fail-on is one of low, medium, high, critical/);
  });
});
