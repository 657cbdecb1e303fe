import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gate } from '../../server/policy/documents.ts';
import { roles } from '../../server/auth/permissions.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { makeKeyPair, otherDigest, pushCosignSignature, pushReferrerBlob, type TestKeyPair } from '../helpers/signing.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { vulnerabilityReport as report } from '../helpers/reports.ts';

const password = 'Promo-Passw0rd';
const hours = (n: number): string => new Date(Date.now() + n * 3_600_000).toISOString();

interface Refusal {
  code: string;
  message: string;
  detail: { promotion_id: number; gates: Array<{ type: string; stage: string; passed: boolean; reason: string }> };
}

/**
 * Every refusal the promotion issue names, each through its own two-stage ladder with the one gate under test: the
 * 412 answers PROJECTPOLICYVIOLATION with every gate and its reason, and the stored record (status blocked) says the
 * same. The passing counterparts (an allowlisted CVE, the approval of someone other than the pusher) promote.
 */
describe('promotion refusals', () => {
  let server: TestServer;
  let api: ApiCall;
  let adminOci: OciTestClient;
  let pusherOci: OciTestClient;
  let trusted: TestKeyPair;
  let untrusted: TestKeyPair;

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server);
    adminOci = new OciTestClient(server.url, server.adminAuth);
    pusherOci = new OciTestClient(server.url, basic('pusher', password));
    trusted = makeKeyPair('ecdsa-p256');
    untrusted = makeKeyPair('ecdsa-p256');
    for (const name of ['pusher', 'reviewer']) await server.services.users.createIfMissing(name, password, false);
    const res = await api('PUT', '/policies', {
      apiVersion: 'berth.dev/v1',
      kind: 'TrustPolicy',
      metadata: { name: 'refusal-keys' },
      spec: { keys: [{ name: 'release', publicKey: trusted.publicKeyPem }] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
  });
  afterAll(async () => server?.stop());

  /** A ladder `<name>-a` -> `<name>-b` whose entry into b has these gates; pusher is Developer in a, reviewer Maintainer in b. */
  async function ladder(name: string, gates: Gate[]): Promise<void> {
    const res = await api('PUT', '/policies', {
      apiVersion: 'berth.dev/v1',
      kind: 'PromotionLadder',
      metadata: { name },
      spec: { stages: [{ name: 'a', project: `${name}-a` }, { name: 'b', project: `${name}-b` }], transitions: [{ to: 'b', gates }] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    for (const [user, project, role] of [['pusher', `${name}-a`, roles.developer], ['reviewer', `${name}-b`, roles.maintainer], ['reviewer', `${name}-a`, roles.guest]] as const) {
      const u = (await usersRepo.findByName(server.services.db.knex, user))!;
      const p = (await server.services.projects.findByName(project))!;
      await server.services.members.setUserRole(p.id, u.id, role);
    }
  }

  /** Pushes an image as `pusher` and waits until its origin (who pushed it) is recorded. */
  async function push(name: string): Promise<string> {
    const { digest } = await pusherOci.pushImage(`${name}-a/app`, 'v1');
    await waitFor('the origin of the push', async () => (await server.services.db.knex('artifact_origins').where({ digest }).first()) !== undefined);
    return digest;
  }

  const promote = (name: string, digest: string, auth?: string) => api('POST', '/promotions', { artifact: `${name}-a/app@${digest}`, tags: ['v1'] }, auth);

  /** Promotes expecting a refusal by the gate of `type`; returns its reason after checking the record agrees. */
  async function refusedBy(name: string, digest: string, type: string): Promise<string> {
    const res = await promote(name, digest);
    const text = await res.text();
    expect(res.status, text).toBe(412);
    const error = (JSON.parse(text) as { errors: Refusal[] }).errors[0]!;
    expect(error.code).toBe('PROJECTPOLICYVIOLATION');
    const gate = error.detail.gates.find((g) => g.type === type)!;
    expect(gate.passed).toBe(false);
    expect(error.message).toContain(gate.reason);
    const record = (await (await api('GET', `/promotions/${error.detail.promotion_id}`)).json()) as { status: string; digest: string; gates: Array<{ type: string; passed: boolean; reason: string; inputs: unknown }> };
    expect(record.status).toBe('blocked');
    expect(record.digest).toBe(digest);
    const stored = record.gates.find((g) => g.type === type)!;
    expect(stored).toMatchObject({ passed: false, reason: gate.reason });
    expect(stored.inputs).toBeTruthy();
    // Nothing moved.
    expect((await adminOci.request('HEAD', `/v2/${name}-b/app/manifests/${digest}`)).status).toBe(404);
    return gate.reason;
  }

  async function promoted(name: string, digest: string): Promise<void> {
    const res = await promote(name, digest);
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await adminOci.request('HEAD', `/v2/${name}-b/app/manifests/v1`)).headers.get('docker-content-digest')).toBe(digest);
  }

  const signatureGate: Gate = { type: 'signature', trustPolicy: 'refusal-keys' };

  it('refuses an unsigned artifact', async () => {
    await ladder('r-unsigned', [signatureGate]);
    expect(await refusedBy('r-unsigned', await push('r-unsigned'), 'signature')).toMatch(/^unsigned: no signature is attached/);
  });

  it('refuses a signature by an untrusted key', async () => {
    await ladder('r-untrusted', [signatureGate]);
    const digest = await push('r-untrusted');
    await pushCosignSignature(adminOci, 'r-untrusted-a/app', digest, untrusted);
    expect(await refusedBy('r-untrusted', digest, 'signature')).toMatch(/0 of 1 required signatures verify against trust policy refusal-keys: .*(not|no) .*trust/i);
  });

  it('refuses a signature over a different digest', async () => {
    await ladder('r-other', [signatureGate]);
    const digest = await push('r-other');
    const other = otherDigest();
    await pushCosignSignature(adminOci, 'r-other-a/app', digest, trusted, { payloadDigest: other });
    const reason = await refusedBy('r-other', digest, 'signature');
    expect(reason).toContain(other);
  });

  it('refuses a tampered payload', async () => {
    await ladder('r-tampered', [signatureGate]);
    const digest = await push('r-tampered');
    await pushCosignSignature(adminOci, 'r-tampered-a/app', digest, trusted, { alterPayload: true });
    expect(await refusedBy('r-tampered', digest, 'signature')).toMatch(/does not verify|altered|tampered/i);
  });

  it('passes a signature by the trusted key (the counterpart)', async () => {
    await ladder('r-signed', [signatureGate]);
    const digest = await push('r-signed');
    await pushCosignSignature(adminOci, 'r-signed-a/app', digest, trusted);
    await promoted('r-signed', digest);
  });

  it('refuses a Critical vulnerability over the threshold, passes it allowlisted, refuses it once the entry expired', async () => {
    const critical = report([{ id: 'CVE-2024-9999', severity: 'Critical' }, { id: 'CVE-2024-0001', severity: 'Low' }]);
    await ladder('r-critical', [{ type: 'vulnerability', maxSeverity: 'High' }]);
    const d1 = await push('r-critical');
    await server.services.reports.put(d1, { status: 'Success', report: critical });
    expect(await refusedBy('r-critical', d1, 'vulnerability')).toMatch(/1 vulnerability above High, the worst Critical CVE-2024-9999 in openssl 3\.0\.1/);

    await ladder('r-allowed', [{ type: 'vulnerability', maxSeverity: 'High', allowlist: [{ id: 'CVE-2024-9999', expiresAt: hours(24), reason: 'not reachable' }] }]);
    const d2 = await push('r-allowed');
    await server.services.reports.put(d2, { status: 'Success', report: critical });
    await promoted('r-allowed', d2);

    await ladder('r-expired', [{ type: 'vulnerability', maxSeverity: 'High', allowlist: [{ id: 'CVE-2024-9999', expiresAt: hours(-1) }] }]);
    const d3 = await push('r-expired');
    await server.services.reports.put(d3, { status: 'Success', report: critical });
    expect(await refusedBy('r-expired', d3, 'vulnerability')).toContain('allowlist entry expired for CVE-2024-9999');
  });

  it("applies the stage project's CVE allowlist (Harbor's system list by default, with its expiry)", async () => {
    const critical = report([{ id: 'CVE-2025-1111', severity: 'Critical' }]);
    await ladder('r-syslist', [{ type: 'vulnerability', maxSeverity: 'High' }]);
    const digest = await push('r-syslist');
    await server.services.reports.put(digest, { status: 'Success', report: critical });
    expect(await refusedBy('r-syslist', digest, 'vulnerability')).toContain('CVE-2025-1111');
    const expired = await api('PUT', '/system/CVEAllowlist', { items: [{ cve_id: 'CVE-2025-1111' }], expires_at: Math.floor(Date.now() / 1000) - 60 });
    expect(expired.status).toBe(200);
    expect(await refusedBy('r-syslist', digest, 'vulnerability')).toContain('allowlist entry expired for CVE-2025-1111');
    expect((await api('PUT', '/system/CVEAllowlist', { items: [{ cve_id: 'CVE-2025-1111' }], expires_at: null })).status).toBe(200);
    await promoted('r-syslist', digest);
    expect((await api('PUT', '/system/CVEAllowlist', { items: [] })).status).toBe(200);
  });

  it('refuses a stale report, an unscanned artifact and a failed scan', async () => {
    await ladder('r-stale', [{ type: 'vulnerability', maxSeverity: 'High', maxReportAgeHours: 24 }]);
    const digest = await push('r-stale');
    expect(await refusedBy('r-stale', digest, 'vulnerability')).toBe('the artifact has not been scanned; a successful scan is required');
    await server.services.reports.put(digest, { status: 'Error', error: 'layer sha256:abc could not be read' });
    expect(await refusedBy('r-stale', digest, 'vulnerability')).toBe('the last scan failed (layer sha256:abc could not be read); a successful scan is required');
    await server.services.reports.put(digest, { status: 'Success', report: report([], hours(-48)) });
    expect(await refusedBy('r-stale', digest, 'vulnerability')).toMatch(/^the report is stale: generated 48\.0 hours ago, at most 24 allowed$/);
    await server.services.reports.put(digest, { status: 'Success', report: report([]) });
    await promoted('r-stale', digest);
  });

  it("refuses a missing approval and the pusher's own, passes another approver's", async () => {
    await ladder('r-approval', [{ type: 'approval', count: 1, minRole: 'maintainer' }]);
    const digest = await push('r-approval');
    expect(await refusedBy('r-approval', digest, 'approval')).toBe('0 of 1 required approvals by a maintainer or above; missing approval');

    // The pusher cannot approve for b (Developer is enough to record one, but never counts for the pusher).
    await server.services.members.setUserRole((await server.services.projects.findByName('r-approval-b'))!.id, (await usersRepo.findByName(server.services.db.knex, 'pusher'))!.id, roles.maintainer);
    const own = await api('POST', `/projects/r-approval-a/repositories/app/artifacts/${digest}/approvals`, { comment: 'mine' }, basic('pusher', password));
    expect(own.status, await own.clone().text()).toBe(201);
    expect(await refusedBy('r-approval', digest, 'approval')).toBe('0 of 1 required approvals by a maintainer or above; pusher pushed the artifact and cannot approve it');

    const other = await api('POST', `/projects/r-approval-a/repositories/app/artifacts/${digest}/approvals`, { stage: 'b', comment: 'looks good' }, basic('reviewer', password));
    expect(other.status, await other.clone().text()).toBe(201);
    await promoted('r-approval', digest);
  });

  it('refuses a missing required referrer, and one that is not signed', async () => {
    const type = 'application/vnd.berth.test-results.v1+json';
    await ladder('r-referrer', [{ type: 'referrer', artifactType: type, trustPolicy: 'refusal-keys' }]);
    const digest = await push('r-referrer');
    expect(await refusedBy('r-referrer', digest, 'referrer')).toBe(`missing required referrer: no ${type} is attached`);
    const manifest = await adminOci.request('GET', `/v2/r-referrer-a/app/manifests/${digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const subject = { digest, size: Number(manifest.headers.get('content-length')), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
    const results = await pushReferrerBlob(adminOci, 'r-referrer-a/app', subject, type, 'application/json', Buffer.from('{"passed":412,"failed":0}'));
    expect(await refusedBy('r-referrer', digest, 'referrer')).toMatch(new RegExp(`^the attached ${type.replaceAll('.', '\\.').replaceAll('+', '\\+')} carries no valid signature of trust policy refusal-keys`));
    await pushCosignSignature(adminOci, 'r-referrer-a/app', results, trusted);
    await promoted('r-referrer', digest);
  });

  it('lists every gate, passed and failed, when several guard a stage', async () => {
    await ladder('r-many', [signatureGate, { type: 'vulnerability', maxSeverity: 'Medium' }, { type: 'labels', required: ['qa-passed'] }]);
    const digest = await push('r-many');
    await pushCosignSignature(adminOci, 'r-many-a/app', digest, trusted);
    const res = await promote('r-many', digest);
    expect(res.status).toBe(412);
    const error = ((await res.json()) as { errors: Refusal[] }).errors[0]!;
    expect(error.detail.gates.map((g) => [g.type, g.passed])).toEqual([
      ['signature', true],
      ['vulnerability', false],
      ['labels', false],
    ]);
    expect(error.detail.gates[0]!.reason).toBe('1 valid signature by key:release (trust policy refusal-keys)');
  });
});
