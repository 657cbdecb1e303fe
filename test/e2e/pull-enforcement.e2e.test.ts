import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustPolicyDoc } from '../../server/policy/documents.ts';
import type { VulnerabilityReport } from '../../server/scanning/reports.ts';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { makeKeyPair, pushCosignSignature, type TestKeyPair } from '../helpers/signing.ts';
import { adminPassword, createTestServer, type TestServer } from '../helpers/test-server.ts';
import { inProcessBerth, layoutDigest, requireTools, Sandbox, startupTimeout, ToolError, umociImage } from './tools.ts';

interface PodmanImage {
  Digest: string;
  RepoDigests: string[];
}

/**
 * Pull enforcement as real clients meet it: a project that only serves artifacts with a signature verified against
 * its trust policy (`enable_content_trust_cosign` + `trust_policy`) refuses skopeo and podman with a 412 and Berth's
 * reason in their error output until the image carries a signature by a trusted key (an untrusted key is not
 * enough); a project that prevents vulnerable images (`prevent_vul`, `severity: high`) refuses an unscanned image and
 * one with a Critical finding, and serves it once its latest report is clean. In-process, since reports go through
 * the service layer.
 */
describe('pull enforcement with skopeo and podman', () => {
  let server: TestServer;
  let sb: Sandbox;
  let api: ApiCall;
  let trusted: TestKeyPair;
  let stranger: TestKeyPair;
  let signedDigest: string;
  let scannedDigest: string;
  const layout = (): string => sb.path('images');

  const failure = async (run: Promise<unknown>): Promise<ToolError> => {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the client should have failed').toBeInstanceOf(ToolError);
    return err as ToolError;
  };
  const skopeoPull = (ref: string, out: string) => sb.skopeo(['copy', '--src-tls-verify=false', '--src-creds', sb.creds, sb.ref(ref), `oci:${sb.path(out)}:pulled`]);
  const podmanPull = (ref: string, storage: string) => sb.podman(['pull', '-q', ...sb.registryFlags, `${sb.host}/${ref}`], { storage });
  const setMetadata = async (name: string, metadata: Record<string, string>): Promise<void> => {
    const res = await api('PUT', `/projects/${name}`, { metadata }, server.adminAuth, { 'X-Is-Resource-Name': 'true' });
    expect(res.status, await res.text()).toBe(200);
  };
  const report = (vulnerabilities: VulnerabilityReport['vulnerabilities']): VulnerabilityReport => ({
    generated_at: new Date().toISOString(),
    scanner: { name: 'e2e-scanner', vendor: 'berth-tests', version: '1.0' },
    severity: vulnerabilities.length ? vulnerabilities[0]!.severity : 'None',
    vulnerabilities,
  });

  beforeAll(async () => {
    await requireTools('skopeo', 'podman', 'umoci');
    server = await createTestServer();
    sb = await Sandbox.create('pull-guard', inProcessBerth(server, adminPassword));
    api = apiClient(server);
    trusted = makeKeyPair('ecdsa-p256');
    stranger = makeKeyPair('ecdsa-p256');
    const trust: TrustPolicyDoc = { apiVersion: 'berth.dev/v1', kind: 'TrustPolicy', metadata: { name: 'guarded' }, spec: { keys: [{ name: 'ci', publicKey: trusted.publicKeyPem }] } };
    const applied = await api('PUT', '/policies', trust);
    expect(applied.status, await applied.text()).toBe(201);
    for (const name of ['signed-only', 'no-vulns']) expect((await api('POST', '/projects', { project_name: name })).status).toBe(201);
    await setMetadata('signed-only', { enable_content_trust_cosign: 'true', trust_policy: 'guarded' });
    await setMetadata('no-vulns', { prevent_vul: 'true', severity: 'high' });

    // Two small images, each built once, pushed unsigned and unscanned.
    signedDigest = await umociImage(sb, layout(), 'sig', { layers: [{ 'hello.txt': 'an image that must be signed\n' }] });
    scannedDigest = await umociImage(sb, layout(), 'scan', { layers: [{ 'hello.txt': 'an image that must be scanned\n' }] });
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout()}:sig`, sb.ref('signed-only/app:v1')]);
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout()}:scan`, sb.ref('no-vulns/app:v1')]);
  }, startupTimeout);
  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
  });

  describe('a project that only serves verified signatures', () => {
    it('refuses an unsigned image to skopeo and podman with a 412 and the reason', async () => {
      const head = await sb.manifest('signed-only/app', 'v1', { method: 'HEAD' });
      expect(head.status).toBe(412);
      const get = await sb.manifest('signed-only/app', 'v1');
      expect(get.status).toBe(412);
      const body = JSON.parse(get.body.toString()) as { errors: Array<{ code: string; message: string }> };
      expect(body.errors[0]!.code).toBe('DENIED');
      expect(body.errors[0]!.message).toBe(`pull refused: project signed-only only serves artifacts with a verified signature, and ${signedDigest} is not signed (trust policy guarded)`);

      const skopeo = await failure(skopeoPull('signed-only/app:v1', 'unsigned'));
      expect(skopeo.stderr).toContain(`denied: pull refused: project signed-only only serves artifacts with a verified signature, and ${signedDigest} is not signed`);
      const podman = await failure(podmanPull('signed-only/app:v1', 'unsigned'));
      expect(podman.stderr).toContain(`pull refused: project signed-only only serves artifacts with a verified signature, and ${signedDigest} is not signed`);
      // By digest too: the refusal is about the artifact, not the tag.
      const byDigest = await failure(skopeoPull(`signed-only/app@${signedDigest}`, 'unsigned-digest'));
      expect(byDigest.stderr).toContain('only serves artifacts with a verified signature');
    });

    it('still refuses the image signed by a key the trust policy does not hold', async () => {
      await pushCosignSignature(sb.registry, 'signed-only/app', signedDigest, stranger);
      // The signature itself (an accessory) stays fetchable, so clients can verify.
      expect((await sb.manifest('signed-only/app', `sha256-${signedDigest.slice(7)}.sig`, { method: 'HEAD' })).status).toBe(200);

      const skopeo = await failure(skopeoPull('signed-only/app:v1', 'untrusted'));
      expect(skopeo.stderr).toContain(`only serves artifacts with a verified signature, and ${signedDigest} has no signature that verifies against trust policy guarded`);
      const podman = await failure(podmanPull('signed-only/app:v1', 'untrusted'));
      expect(podman.stderr).toContain(`${signedDigest} has no signature that verifies against trust policy guarded`);
    });

    it('serves the image to skopeo and podman once the trusted key has signed it', async () => {
      await pushCosignSignature(sb.registry, 'signed-only/app', signedDigest, trusted);
      expect((await sb.manifest('signed-only/app', 'v1', { method: 'HEAD' })).status).toBe(200);

      await skopeoPull('signed-only/app:v1', 'signed');
      expect(await layoutDigest(sb.path('signed'), 'pulled')).toBe(signedDigest);
      const id = (await podmanPull('signed-only/app:v1', 'signed')).stdout.trim();
      const { stdout } = await sb.podman(['image', 'inspect', id], { storage: 'signed' });
      const image = (JSON.parse(stdout) as PodmanImage[])[0]!;
      expect(image.Digest).toBe(signedDigest);
      expect(image.RepoDigests).toContain(`${sb.host}/signed-only/app@${signedDigest}`);
    });
  });

  describe('a project that prevents vulnerable images (severity high)', () => {
    it('refuses an unscanned image to skopeo', async () => {
      expect((await sb.manifest('no-vulns/app', 'v1', { method: 'HEAD' })).status).toBe(412);
      const refused = await failure(skopeoPull('no-vulns/app:v1', 'unscanned'));
      expect(refused.stderr).toContain(`denied: pull refused: project no-vulns prevents vulnerable images from running, and ${scannedDigest} has not been scanned`);
    });

    it('refuses the image whose latest report has a Critical finding', async () => {
      await server.services.reports.put(scannedDigest, {
        status: 'Success',
        report: report([
          { id: 'CVE-2024-9999', package: 'openssl', version: '3.0.0', fix_version: '3.0.1', severity: 'Critical' },
          { id: 'CVE-2024-0002', package: 'zlib', version: '1.2.11', severity: 'Low' },
        ]),
      });
      const refused = await failure(skopeoPull('no-vulns/app:v1', 'critical'));
      expect(refused.stderr).toContain(`and ${scannedDigest} has 1 vulnerability of High or above: CVE-2024-9999`);
      expect((await sb.manifest('no-vulns/app', 'v1', { method: 'HEAD' })).status).toBe(412);
    });

    it('serves the image once its latest report is clean', async () => {
      await server.services.reports.put(scannedDigest, { status: 'Success', report: report([{ id: 'CVE-2024-0002', package: 'zlib', version: '1.2.11', severity: 'Low' }]) });
      await skopeoPull('no-vulns/app:v1', 'clean');
      expect(await layoutDigest(sb.path('clean'), 'pulled')).toBe(scannedDigest);
    });
  });
});
