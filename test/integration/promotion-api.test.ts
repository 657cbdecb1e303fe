import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type RoleId } from '../../server/auth/permissions.ts';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { vulnerabilityReport } from '../helpers/reports.ts';
import { makeKeyPair, pushCosignSignature, type TestKeyPair } from '../helpers/signing.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { jsonOf, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { listFiles, uploadIds } from './storage-files.ts';

const password = 'Life-Passw0rd';
const named = { 'X-Is-Resource-Name': 'true' };

interface Record_ {
  id: number;
  status: string;
  ladder: string;
  from: { stage: string; project: string; repository: string };
  to: { stage: string; project: string; repository: string };
  digest: string;
  tags: string[];
  operator: string;
  gates: Array<{ type: string; stage: string; passed: boolean; reason: string; inputs: Record<string, unknown> }>;
}

/**
 * A promotion's life on both databases: dry run, the move by digest (signatures along, tags applied and locked, no
 * blob written), the no-op repeat, approvals recorded, revoked and used, refusals recorded, the records' queries and
 * who may see them, who may promote and approve, and the events feeding the audit log and webhooks in every format.
 */
describe.each(databaseKinds)('promotion lifecycle (%s)', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let admin: OciTestClient;
  let receiver: WebhookReceiver;
  let key: TestKeyPair;
  let digest: string;
  const events: DomainEvent[] = [];
  const as = (user: string): string => basic(user, password);
  const artifactPath = (project: string, ref: string) => `/projects/${project}/repositories/app/artifacts/${ref}`;

  beforeAll(async () => {
    server = await createTestServer({ database, config: { jobs: { pollMs: 50 } } });
    api = apiClient(server);
    admin = new OciTestClient(server.url, server.adminAuth);
    receiver = await startWebhookReceiver();
    key = makeKeyPair('ecdsa-p384');
    server.services.events.on('*', (e) => void events.push(e));
    for (const doc of [
      { apiVersion: 'berth.dev/v1', kind: 'TrustPolicy', metadata: { name: 'life-keys' }, spec: { keys: [{ name: 'release', publicKey: key.publicKeyPem }] } },
      {
        apiVersion: 'berth.dev/v1',
        kind: 'PromotionLadder',
        metadata: { name: 'life' },
        spec: {
          stages: [
            { name: 'dev', project: 'life-dev' },
            { name: 'test', project: 'life-test' },
            { name: 'prod', project: 'life-prod' },
          ],
          transitions: [
            { to: 'test', gates: [{ type: 'signature', trustPolicy: 'life-keys' }] },
            { to: 'prod', gates: [{ type: 'vulnerability', maxSeverity: 'High' }, { type: 'approval', count: 1, minRole: 'maintainer' }] },
          ],
        },
      },
    ]) {
      const res = await api('PUT', '/policies', doc);
      expect(res.status, await res.clone().text()).toBe(201);
    }
    // dev pushes; maint keeps every stage; guest is a Guest everywhere; outsider belongs nowhere.
    const memberships: Record<string, RoleId | null> = { dev: roles.developer, maint: roles.maintainer, guest: roles.guest, outsider: null };
    for (const [user, role] of Object.entries(memberships)) {
      await server.services.users.createIfMissing(user, password, false);
      const u = (await usersRepo.findByName(server.services.db.knex, user))!;
      if (role) for (const p of ['life-dev', 'life-test', 'life-prod']) await server.services.members.setUserRole((await server.services.projects.findByName(p))!.id, u.id, role);
    }
    const hook = (project: string, types: string[], formats: string[]) =>
      api('POST', `/projects/${project}/webhook/policies`, {
        name: `${project}-hooks`,
        event_types: types,
        max_attempts: 1,
        targets: formats.map((f) => ({ type: 'http', address: `${receiver.url}/${project}/${f}`, payload_format: f })),
      });
    expect((await hook('life-prod', ['PROMOTE_ARTIFACT'], ['Default', 'CloudEvents', 'Rainbond'])).status).toBe(201);
    expect((await hook('life-test', ['PROMOTION_BLOCKED'], ['Default', 'CloudEvents'])).status).toBe(201);

    ({ digest } = await new OciTestClient(server.url, as('dev')).pushImage('life-dev/app', '1.0', { layers: [Buffer.from('layer one'), Buffer.from('layer two')] }));
    await waitFor('the origin of the push', async () => (await server.services.db.knex('artifact_origins').where({ digest }).first()) !== undefined);
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.stop();
  });

  it('evaluates a dry run without moving or recording anything', async () => {
    const before = await api('POST', `${artifactPath('life-dev', digest)}/promote`, { dry_run: true }, as('maint'));
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({ status: 'dry-run', allowed: false, from: 'dev', to: 'test', digest, gates: [{ type: 'signature', passed: false }] });
    await pushCosignSignature(admin, 'life-dev/app', digest, key);
    const after = (await (await api('POST', `${artifactPath('life-dev', digest)}/promote`, { dry_run: true }, as('maint'))).json()) as { allowed: boolean; gates: Array<{ passed: boolean; reason: string }> };
    expect(after.allowed).toBe(true);
    expect(after.gates[0]!.reason).toBe('1 valid signature by key:release (trust policy life-keys)');
    expect((await admin.request('HEAD', `/v2/life-test/app/manifests/${digest}`)).status).toBe(404);
    expect(await (await api('GET', `/promotions?digest=${digest}`)).json()).toEqual([]);
  });

  it('lets Maintainers promote, not Developers or Guests', async () => {
    for (const user of ['dev', 'guest']) {
      const res = await api('POST', '/promotions', { artifact: `life-dev/app@${digest}` }, as(user));
      expect(res.status, user).toBe(403);
    }
    expect((await api('POST', '/promotions', { artifact: `life-dev/app@${digest}` }, as('outsider'))).status).toBe(403);
    expect((await api('POST', '/promotions', { artifact: `life-dev/app@${digest}` }, null)).status).toBe(401);
    expect(events.filter((e) => e.name === 'artifact.promoted' || e.name === 'promotion.blocked')).toEqual([]);
  });

  it('moves the artifact by digest with its signature, applies and locks the tags, writes no blob, and says so once', async () => {
    const blobsBefore = (await listFiles(path.join(server.dataDir, 'storage', 'blobs'))).sort();
    const res = await api('POST', '/promotions', { artifact: 'life-dev/app:1.0' }, as('maint'));
    expect(res.status, await res.clone().text()).toBe(201);
    const record = (await res.json()) as Record_;
    expect(res.headers.get('location')).toBe(`/api/v2.0/promotions/${record.id}`);
    expect(record).toMatchObject({ status: 'promoted', ladder: 'life', digest, tags: ['1.0'], operator: 'maint', from: { stage: 'dev', repository: 'life-dev/app' }, to: { stage: 'test', repository: 'life-test/app' } });
    expect(record.gates.map((g) => [g.stage, g.type, g.passed])).toEqual([['test', 'signature', true]]);
    expect(record.gates[0]!.inputs).toMatchObject({ trustPolicy: { name: 'life-keys', version: 1 } });

    const pulled = await admin.request('GET', '/v2/life-test/app/manifests/1.0', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(pulled.headers.get('docker-content-digest')).toBe(digest);
    expect((await admin.request('HEAD', `/v2/life-test/app/manifests/sha256-${digest.slice(7)}.sig`)).status).toBe(200);
    expect((await listFiles(path.join(server.dataDir, 'storage', 'blobs'))).sort()).toEqual(blobsBefore);
    expect(await uploadIds(server.dataDir)).toEqual([]);

    // Promoted tags are immutable in the target stage.
    const moved = await admin.pushImage('life-test/app', '1.0').catch((err: Error) => err.message);
    expect(moved).toMatch(/412.*immutable \(applied by promotion/);

    const again = await api('POST', '/promotions', { artifact: 'life-dev/app:1.0' }, as('maint'));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'noop', message: expect.stringContaining(`promoted to test already (promotion ${record.id})`) });
    expect(events.filter((e) => e.name === 'artifact.promoted')).toHaveLength(1);
  });

  it('records approvals, lets them be revoked before use, and refuses without one', async () => {
    await server.services.reports.put(digest, { status: 'Success', report: vulnerabilityReport([{ id: 'CVE-2024-2', severity: 'Medium' }]) });
    expect((await api('POST', `${artifactPath('life-test', digest)}/approvals`, {}, as('guest'))).status).toBe(403);
    expect((await api('POST', `${artifactPath('life-test', digest)}/approvals`, {}, as('outsider'))).status).toBe(403);
    const created = await api('POST', `${artifactPath('life-test', digest)}/approvals`, { comment: 'release 1.0' }, as('maint'));
    expect(created.status, await created.clone().text()).toBe(201);
    const approval = (await created.json()) as { id: number; stage: string; approver: string };
    expect(approval).toMatchObject({ stage: 'prod', approver: 'maint' });
    expect((await api('POST', `${artifactPath('life-test', digest)}/approvals`, {}, as('maint'))).status).toBe(409);
    // Not the approver, nor a ProjectAdmin of prod.
    expect((await api('DELETE', `${artifactPath('life-test', digest)}/approvals/${approval.id}`, undefined, as('dev'))).status).toBe(403);
    expect((await api('DELETE', `${artifactPath('life-test', digest)}/approvals/${approval.id}`, undefined, as('maint'))).status).toBe(200);
    const listed = (await (await api('GET', `${artifactPath('life-test', digest)}/approvals`, undefined, as('guest'))).json()) as Array<{ id: number; revoked_by: string | null }>;
    expect(listed).toMatchObject([{ id: approval.id, revoked_by: 'maint' }]);

    const refused = await api('POST', `${artifactPath('life-test', digest)}/promote`, { tags: ['1.0', 'stable'] }, as('maint'));
    expect(refused.status).toBe(412);
    const error = ((await refused.json()) as { errors: Array<{ code: string; detail: { promotion_id: number; gates: Array<{ type: string; passed: boolean; reason: string }> } }> }).errors[0]!;
    expect(error.code).toBe('PROJECTPOLICYVIOLATION');
    expect(error.detail.gates.map((g) => [g.type, g.passed])).toEqual([
      ['vulnerability', true],
      ['approval', false],
    ]);
    expect(error.detail.gates[1]!.reason).toBe('0 of 1 required approvals by a maintainer or above; missing approval');

    const second = (await (await api('POST', `${artifactPath('life-test', digest)}/approvals`, {}, as('maint'))).json()) as { id: number };
    const promoted = await api('POST', `${artifactPath('life-test', digest)}/promote`, { tags: ['1.0', 'stable'] }, as('maint'));
    expect(promoted.status, await promoted.clone().text()).toBe(201);
    const record = (await promoted.json()) as Record_;
    expect(record.gates.find((g) => g.type === 'approval')!.inputs).toMatchObject({ pusher: 'dev', approvals: [{ id: second.id, approver: 'maint', counted: true }] });
    const used = await api('DELETE', `${artifactPath('life-test', digest)}/approvals/${second.id}`, undefined, as('maint'));
    expect(used.status).toBe(412);
    expect((await admin.request('HEAD', '/v2/life-prod/app/manifests/stable')).headers.get('docker-content-digest')).toBe(digest);
    // The last stage has nowhere to go.
    expect((await api('POST', `${artifactPath('life-prod', digest)}/promote`, {}, as('maint'))).status).toBe(412);
  });

  it('answers the records per artifact, project and stage, to those who may read them', async () => {
    const all = (await (await api('GET', `/promotions?digest=${digest}`)).json()) as Record_[];
    expect(all.map((r) => [r.to.stage, r.status])).toEqual([
      ['prod', 'promoted'],
      ['prod', 'blocked'],
      ['test', 'promoted'],
    ]);
    const prod = (await (await api('GET', '/projects/life-prod/promotions')).json()) as Record_[];
    expect(prod.map((r) => r.status)).toEqual(['promoted', 'blocked']);
    const blocked = (await (await api('GET', '/promotions?ladder=life&stage=prod&status=blocked')).json()) as Record_[];
    expect(blocked).toHaveLength(1);
    const perArtifact = await api('GET', `${artifactPath('life-prod', digest)}/promotions`, undefined, as('guest'));
    expect(((await perArtifact.json()) as Record_[]).length).toBe(3);
    expect(perArtifact.status).toBe(200);

    expect(await (await api('GET', '/promotions', undefined, as('outsider'))).json()).toEqual([]);
    expect((await api('GET', `/promotions/${all[0]!.id}`, undefined, as('outsider'))).status).toBe(404);
    expect((await api('GET', `/promotions/${all[0]!.id}`, undefined, as('guest'))).status).toBe(200);
    expect((await api('GET', '/projects/life-prod/promotions', undefined, as('outsider'))).status).toBe(403);
    expect((await api('GET', '/promotions?status=maybe')).status).toBe(400);
    expect((await api('GET', '/promotions?digest=sha256:nothex')).status).toBe(400);
    expect((await api('GET', '/promotions/99999999')).status).toBe(404);
  });

  it('feeds the audit log and webhooks in the Default, CloudEvents and Rainbond formats', async () => {
    await waitFor('the promotion webhooks', async () => receiver.requests.length >= 5 || undefined);
    const at = (p: string) => receiver.requests.filter((r) => r.path === p);
    const host = new URL(server.url).host;

    const plain = jsonOf(at('/life-prod/Default')[0]!);
    expect(plain).toMatchObject({ type: 'PROMOTE_ARTIFACT', operator: 'maint', event_data: { repository: { namespace: 'life-prod', name: 'app', repo_full_name: 'life-prod/app' } } });
    expect(plain.event_data.resources.map((r: { tag: string; digest: string }) => [r.tag, r.digest])).toEqual([
      ['1.0', digest],
      ['stable', digest],
    ]);
    const cloud = jsonOf(at('/life-prod/CloudEvents')[0]!);
    expect(cloud).toMatchObject({ specversion: '1.0', type: 'berth.artifact.promoted', operator: 'maint' });
    expect(JSON.stringify(cloud)).toContain('"to_stage":"prod"');
    const rainbond = jsonOf(at('/life-prod/Rainbond')[0]!);
    expect(rainbond).toMatchObject({ type: 'PUSH_ARTIFACT', berth_event_type: 'PROMOTE_ARTIFACT' });
    expect(JSON.stringify(rainbond)).toContain(`${host}/life-prod/app:1.0`);

    const blockedPlain = jsonOf(at('/life-test/Default')[0]!);
    expect(blockedPlain).toMatchObject({ type: 'PROMOTION_BLOCKED', operator: 'maint', event_data: { repository: { repo_full_name: 'life-test/app' } } });
    expect(JSON.stringify(blockedPlain)).toContain('missing approval');
    expect(jsonOf(at('/life-test/CloudEvents')[0]!)).toMatchObject({ type: 'berth.promotion.blocked' });

    await waitFor('audit entries', async () => {
      const rows = await server.services.db.knex('audit_logs').where({ operation: 'promote' }).select('resource', 'success');
      return rows.length >= 3 ? rows : undefined;
    }).catch(async () => {
      throw new Error(`audit rows: ${JSON.stringify(await server.services.db.knex('audit_logs').select('operation', 'resource').limit(50))}`);
    });
    const logs = (await (await api('GET', '/projects/life-prod/logs?q=operation=promote', undefined, undefined, named)).json()) as Array<{ operation: string; resource: string; username: string }>;
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(logs[0]).toMatchObject({ operation: 'promote', username: 'maint', resource: `life-prod/app@${digest}` });
  });
});
