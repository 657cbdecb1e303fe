import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionLadderDoc, TrustPolicyDoc } from '../../server/policy/documents.ts';
import { originsRepo } from '../../server/promotion/origins.ts';
import type { VulnerabilityReport } from '../../server/scanning/reports.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';
import { makeKeyPair, pushCosignSignature, type TestKeyPair } from '../helpers/signing.ts';
import { adminPassword, createTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { listFiles, uploadIds } from '../integration/storage-files.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { inProcessBerth, layoutDigest, requireTools, Sandbox, startupTimeout, ToolError, umociImage } from './tools.ts';

interface GateJson {
  type: string;
  stage: string;
  passed: boolean;
  reason: string;
}

interface PromotionJson {
  id: number;
  ladder: string;
  status: string;
  from: { stage: string; project: string; repository: string };
  to: { stage: string; project: string; repository: string };
  digest: string;
  tags: string[];
  operator: string;
  gates: GateJson[];
}

const stages = ['dev', 'test', 'staging', 'prod'] as const;
const project = (stage: string): string => `e2e-${stage}`;

/**
 * The acceptance test of promotion stages, with real clients: an image built with umoci and pushed with skopeo by a
 * non-admin Maintainer of the dev stage is signed (cosign's `.sig` layout, a key the test generated), scanned (a
 * report through the service layer) and approved by someone else, then promoted dev → test → staging → prod through
 * a vulnerability gate, a signature gate, and signature + vulnerability + approval. The digest never changes, no blob
 * byte is uploaded by the promotions, the signature travels along, the promoted tag is immutable in prod, and the
 * records are queryable. The server runs in-process because reports go through the service layer.
 */
describe('promotion through a four-stage ladder with skopeo', () => {
  let server: TestServer;
  let sb: Sandbox;
  let api: ApiCall;
  let release: TestKeyPair;
  let digest: string;
  const layout = (): string => sb.path('images');
  const users = {
    pusher: { name: 'e2e-pusher', password: 'Pusher-Passw0rd' },
    approver: { name: 'e2e-approver', password: 'Approver-Passw0rd' },
  };
  const auth = (u: { name: string; password: string }): string => basic(u.name, u.password);
  const creds = (u: { name: string; password: string }): string => `${u.name}:${u.password}`;
  const records: PromotionJson[] = [];

  const trust: TrustPolicyDoc = { apiVersion: 'berth.dev/v1', kind: 'TrustPolicy', metadata: { name: 'release' }, spec: {} };
  const ladder: PromotionLadderDoc = {
    apiVersion: 'berth.dev/v1',
    kind: 'PromotionLadder',
    metadata: { name: 'e2e-release', description: 'the acceptance ladder of the e2e suite' },
    spec: {
      stages: stages.map((name) => ({ name, project: project(name) })),
      transitions: [
        { to: 'test', gates: [{ type: 'vulnerability', maxSeverity: 'High' }] },
        { to: 'staging', gates: [{ type: 'signature', trustPolicy: 'release' }] },
        {
          to: 'prod',
          gates: [
            { type: 'signature', trustPolicy: 'release' },
            { type: 'vulnerability', maxSeverity: 'Medium', maxReportAgeHours: 24 },
            { type: 'approval', count: 1, minRole: 'maintainer' },
          ],
        },
      ],
    },
  };

  const report = (): VulnerabilityReport => ({
    generated_at: new Date().toISOString(),
    scanner: { name: 'e2e-scanner', vendor: 'berth-tests', version: '1.0' },
    severity: 'Low',
    vulnerabilities: [{ id: 'CVE-2024-0001', package: 'libexample', version: '1.2.3', fix_version: '1.2.4', severity: 'Low' }],
  });

  const failure = async (run: Promise<unknown>): Promise<ToolError> => {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the client should have failed').toBeInstanceOf(ToolError);
    return err as ToolError;
  };

  beforeAll(async () => {
    await requireTools('skopeo', 'umoci');
    server = await createTestServer();
    sb = await Sandbox.create('promotion', inProcessBerth(server, adminPassword));
    api = apiClient(server);
    release = makeKeyPair('ecdsa-p256');
    trust.spec = { keys: [{ name: 'release-key', publicKey: release.publicKeyPem }] };
    await umociImage(sb, layout(), '1.0', { layers: [{ 'app/hello.txt': 'the application, version 1.0\n' }, { 'app/config.txt': 'mode=release\n' }] });
    await umociImage(sb, layout(), 'impostor', { layers: [{ 'app/hello.txt': 'not the promoted image\n' }] });
    for (const u of Object.values(users)) {
      const res = await api('POST', '/users', { username: u.name, email: `${u.name}@example.com`, realname: u.name, password: u.password });
      expect(res.status, await res.text()).toBe(201);
    }
  }, startupTimeout);
  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
  });

  it('applies the trust policy and the ladder as admin, which creates the stage projects', async () => {
    const applied = await api('PUT', '/policies', trust);
    expect(applied.status, await applied.clone().text()).toBe(201);
    const res = await api('PUT', '/policies', ladder);
    const body = (await res.json()) as { created: boolean; projects_created: string[]; warnings: string[]; policy: { version: number } };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.created).toBe(true);
    expect([...body.projects_created].sort()).toEqual(stages.map(project).sort());
    expect(body.warnings).toEqual([]);
    for (const stage of stages) {
      const p = await api('GET', `/projects/${project(stage)}`);
      expect(p.status, `project ${project(stage)}`).toBe(200);
      expect(((await p.json()) as { name: string }).name).toBe(project(stage));
    }
    // Applying the same documents again writes nothing.
    expect((await api('PUT', '/policies', ladder)).status).toBe(200);

    // The pusher is a Maintainer of every stage but prod; the approver reads dev and is a Maintainer of prod.
    const member = async (stage: string, username: string, roleId: number): Promise<void> => {
      const added = await api('POST', `/projects/${project(stage)}/members`, { role_id: roleId, member_user: { username } });
      expect(added.status, await added.text()).toBe(201);
    };
    for (const stage of ['dev', 'test', 'staging']) await member(stage, users.pusher.name, 4);
    await member('dev', users.approver.name, 3);
    await member('prod', users.approver.name, 4);
  });

  it('lets the pusher push with skopeo, sign with the release key, and have it scanned and approved', async () => {
    const flags = ['--dest-tls-verify=false', '--dest-creds', creds(users.pusher), '--digestfile', sb.path('push.digest')];
    await sb.skopeo(['copy', ...flags, `oci:${layout()}:1.0`, sb.ref('e2e-dev/app:1.0')]);
    digest = await layoutDigest(layout(), '1.0');
    expect((await sb.manifest('e2e-dev/app', '1.0', { method: 'HEAD' })).digest).toBe(digest);

    const pusherOci = new OciTestClient(server.url, auth(users.pusher));
    await pushCosignSignature(pusherOci, 'e2e-dev/app', digest, release);
    expect((await sb.manifest('e2e-dev/app', `sha256-${digest.slice(7)}.sig`, { method: 'HEAD' })).status).toBe(200);
    await server.services.reports.put(digest, { status: 'Success', report: report() });

    // Who pushed is recorded off the push's path (on `artifact.pushed`); the approval gate needs it.
    expect(await waitFor('the pusher to be recorded', async () => (await originsRepo.firstPusher(server.services.db.knex, digest)) ?? undefined)).toBe(users.pusher.name);

    const approvals = `/projects/e2e-dev/repositories/app/artifacts/${digest}/approvals`;
    // The pusher holds no role in prod, so cannot approve for it.
    const own = await api('POST', approvals, { stage: 'prod' }, auth(users.pusher));
    expect(own.status, await own.clone().text()).toBe(403);
    expect(await own.text()).toContain('approving for stage prod needs Developer or above in its project e2e-prod');

    const approved = await api('POST', approvals, { stage: 'prod', comment: 'reviewed for release' }, auth(users.approver));
    const approval = (await approved.json()) as { stage: string; approver: string; digest: string; ladder: string; revoked: boolean };
    expect(approved.status, JSON.stringify(approval)).toBe(201);
    expect(approval).toMatchObject({ ladder: 'e2e-release', stage: 'prod', approver: users.approver.name, digest, revoked: false });
  });

  it('promotes dev → test → staging → prod, each step from the stage it is in, every gate passed, and uploads no blob', async () => {
    expect(digest, 'the push test must pass first').toBeDefined();
    const dataDir = server.dataDir;
    const blobsBefore = new Set(await listFiles(`${dataDir}/storage/blobs`));
    const uploadsBefore = await uploadIds(dataDir);
    expect(blobsBefore.size).toBeGreaterThan(0);

    const expectedGates: Record<string, Array<[stage: string, type: string]>> = {
      test: [['test', 'vulnerability']],
      staging: [['staging', 'signature']],
      prod: [
        ['prod', 'signature'],
        ['prod', 'vulnerability'],
        ['prod', 'approval'],
      ],
    };
    for (const [i, to] of (['test', 'staging', 'prod'] as const).entries()) {
      const from = stages[i]!;
      const res = await api('POST', '/promotions', { artifact: `${project(from)}/app@${digest}`, tags: ['1.0'] }, auth(users.pusher));
      const record = (await res.json()) as PromotionJson;
      expect(res.status, JSON.stringify(record)).toBe(201);
      expect(res.headers.get('location')).toBe(`/api/v2.0/promotions/${record.id}`);
      expect(record).toMatchObject({
        ladder: 'e2e-release',
        status: 'promoted',
        digest,
        tags: ['1.0'],
        operator: users.pusher.name,
        from: { stage: from, project: project(from), repository: `${project(from)}/app` },
        to: { stage: to, project: project(to), repository: `${project(to)}/app` },
      });
      expect(record.gates.map((g) => [g.stage, g.type])).toEqual(expectedGates[to]);
      for (const gate of record.gates) expect(gate.passed, `${gate.stage}/${gate.type}: ${gate.reason}`).toBe(true);
      records.push(record);
      // The artifact is in the next stage under the same digest and tag.
      expect((await sb.manifest(`${project(to)}/app`, '1.0', { method: 'HEAD' })).digest).toBe(digest);
    }
    const prodGates = records[2]!.gates;
    expect(prodGates.find((g) => g.type === 'approval')!.reason).toContain(`approved by ${users.approver.name}`);
    expect(prodGates.find((g) => g.type === 'signature')!.reason).toContain('release');

    // Server-side copies only: not one new blob file, not one upload session.
    const blobsAfter = await listFiles(`${dataDir}/storage/blobs`);
    expect(blobsAfter.filter((f) => !blobsBefore.has(f))).toEqual([]);
    expect(blobsAfter.length).toBe(blobsBefore.size);
    expect(await uploadIds(dataDir)).toEqual(uploadsBefore);

    // The signature went along and still verifies in prod.
    const sigTag = `sha256-${digest.slice(7)}.sig`;
    expect((await sb.manifest('e2e-prod/app', sigTag, { method: 'HEAD' })).status).toBe(200);
    const { stdout } = await sb.skopeo(['list-tags', '--tls-verify=false', '--creds', creds(users.approver), sb.ref('e2e-prod/app')]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags.sort()).toEqual(['1.0', sigTag]);
  });

  it('serves the promoted image from prod to skopeo with the digest unchanged, with prod requiring a verified signature', async () => {
    expect(records, 'the promotion test must pass first').toHaveLength(3);
    // Prod now refuses anything whose signature does not verify: the copied signature must.
    const guarded = await api('PUT', '/projects/e2e-prod', { metadata: { enable_content_trust_cosign: 'true', trust_policy: 'release' } }, server.adminAuth, { 'X-Is-Resource-Name': 'true' });
    expect(guarded.status, await guarded.text()).toBe(200);

    const pulled = sb.path('pulled');
    await sb.skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds(users.approver), sb.ref('e2e-prod/app:1.0'), `oci:${pulled}:1.0`]);
    expect(await layoutDigest(pulled, '1.0')).toBe(digest);
    const { stdout } = await sb.skopeo(['inspect', '--tls-verify=false', '--creds', creds(users.approver), sb.ref('e2e-prod/app:1.0')]);
    const info = JSON.parse(stdout) as { Digest: string; Name: string };
    expect(info.Digest).toBe(digest);
    expect(info.Name).toBe(`${sb.host}/e2e-prod/app`);
  });

  it('keeps the promoted tag immutable in prod: a skopeo push of another image under it fails', async () => {
    expect(records, 'the promotion test must pass first').toHaveLength(3);
    const refused = await failure(sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout()}:impostor`, sb.ref('e2e-prod/app:1.0')]));
    expect(refused.stderr).toContain(`the tag e2e-prod/app:1.0 is immutable (applied by promotion ${records[2]!.id})`);
    expect((await sb.manifest('e2e-prod/app', '1.0', { method: 'HEAD' })).digest).toBe(digest);
  });

  it('answers queries for the promotion records and a repeated promotion with a no-op', async () => {
    expect(records, 'the promotion test must pass first').toHaveLength(3);
    const byDigest = await api('GET', `/promotions?digest=${digest}`, undefined, auth(users.pusher));
    expect(byDigest.status).toBe(200);
    const listed = (await byDigest.json()) as PromotionJson[];
    expect(listed.map((r) => r.id).sort((a, b) => a - b)).toEqual(records.map((r) => r.id));
    expect(listed.map((r) => `${r.from.stage}->${r.to.stage}`).sort()).toEqual(['dev->test', 'staging->prod', 'test->staging']);

    const prod = await api('GET', '/projects/e2e-prod/promotions', undefined, auth(users.approver));
    expect(prod.status).toBe(200);
    const intoProd = (await prod.json()) as PromotionJson[];
    expect(intoProd.map((r) => r.id)).toEqual([records[2]!.id]);
    expect(intoProd[0]!.gates.every((g) => g.passed)).toBe(true);

    const one = await api('GET', `/promotions/${records[1]!.id}`, undefined, auth(users.pusher));
    expect(((await one.json()) as PromotionJson).to.stage).toBe('staging');

    const again = await api('POST', '/promotions', { artifact: `e2e-staging/app@${digest}`, tags: ['1.0'] }, auth(users.pusher));
    const noop = (await again.json()) as { status: string; message: string; promotion: PromotionJson };
    expect(again.status, JSON.stringify(noop)).toBe(200);
    expect(noop.status).toBe('noop');
    expect(noop.promotion.id).toBe(records[2]!.id);
    expect(noop.message).toContain('nothing to do');
    // No new record.
    const after = (await (await api('GET', `/promotions?digest=${digest}`)).json()) as PromotionJson[];
    expect(after).toHaveLength(3);
  });
});
