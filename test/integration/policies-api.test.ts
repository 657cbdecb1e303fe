import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';
import { makeKeyPair } from '../helpers/signing.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

interface StoredPolicyBody {
  kind: string;
  name: string;
  version: number;
  deleted: boolean;
  created_by: string;
  document: Record<string, unknown> | null;
}

interface ApplyBody {
  created: boolean;
  projects_created: string[];
  warnings: string[];
  policy: StoredPolicyBody;
}

const trust = (name: string, pem: string) => ({ apiVersion: 'berth.dev/v1', kind: 'TrustPolicy', metadata: { name }, spec: { keys: [{ name: 'ci', publicKey: pem }] } });
const ladder = (name: string, projects: string[], gates: unknown[] = []) => ({
  apiVersion: 'berth.dev/v1',
  kind: 'PromotionLadder',
  metadata: { name },
  spec: { stages: projects.map((p, i) => ({ name: `s${i}`, project: p })), transitions: gates.length ? [{ to: 's1', gates }] : [] },
});

/**
 * /api/v2.0/policies: documents validated against their schemas (a bad one is a 400 naming the path), applied
 * declaratively (identical content is no new version), versioned and readable at every version, deleted by a
 * tombstone version, refused deletion while in use; a ladder creates its stage projects. On both databases.
 */
describe.each(databaseKinds)('policy documents API (%s)', (database) => {
  let server: TestServer;
  let api: ApiCall;
  const events: DomainEvent[] = [];
  const pem = makeKeyPair('ecdsa-p256').publicKeyPem;

  beforeAll(async () => {
    server = await createTestServer({ database });
    api = apiClient(server);
    await server.services.users.createIfMissing('reader', 'Reader-Passw0rd', false);
    server.services.events.on('*', (e) => void events.push(e));
  });
  afterAll(async () => server?.stop());

  const apply = async (doc: unknown, expected: number): Promise<ApplyBody> => {
    const res = await api('PUT', '/policies', doc);
    const text = await res.text();
    expect(res.status, text).toBe(expected);
    return JSON.parse(text) as ApplyBody;
  };

  it('applies a document once per content: 201 for each new version, 200 with created false for the same again', async () => {
    const first = await apply(trust('ci-keys', pem), 201);
    expect(first).toMatchObject({ created: true, policy: { kind: 'TrustPolicy', name: 'ci-keys', version: 1, created_by: 'admin', deleted: false } });
    // Same content in another key order is the same document.
    const again = await apply({ spec: { keys: [{ publicKey: pem, name: 'ci' }] }, metadata: { name: 'ci-keys' }, kind: 'TrustPolicy', apiVersion: 'berth.dev/v1' }, 200);
    expect(again).toMatchObject({ created: false, policy: { version: 1 } });
    const other = makeKeyPair('ed25519').publicKeyPem;
    const second = await apply({ ...trust('ci-keys', pem), spec: { keys: [{ name: 'ci', publicKey: pem }, { name: 'ci-2', publicKey: other }] } }, 201);
    expect(second.policy.version).toBe(2);

    const current = (await (await api('GET', '/policies/TrustPolicy/ci-keys')).json()) as StoredPolicyBody;
    expect(current.version).toBe(2);
    const versions = (await (await api('GET', '/policies/trustpolicy/ci-keys/versions')).json()) as StoredPolicyBody[];
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    const v1 = (await (await api('GET', '/policies/TrustPolicy/ci-keys/versions/1')).json()) as StoredPolicyBody;
    expect((v1.document as { spec: { keys: unknown[] } }).spec.keys).toHaveLength(1);
    expect(events.filter((e) => e.name.startsWith('policy.') && (e.data as { name: string }).name === 'ci-keys').map((e) => e.name)).toEqual(['policy.created', 'policy.updated']);
  });

  it('takes YAML bodies', async () => {
    const yaml = ['apiVersion: berth.dev/v1', 'kind: TrustPolicy', 'metadata:', '  name: yaml-keys', 'spec:', '  keys:', '    - name: ci', '      publicKey: |', ...pem.trim().split('\n').map((l) => `        ${l}`)].join('\n');
    const res = await api('PUT', '/policies', yaml, undefined, { 'content-type': 'application/yaml' });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as ApplyBody).policy.name).toBe('yaml-keys');
  });

  it('refuses a malformed document with 400 naming the bad path, and writes nothing', async () => {
    const bad = ladder('bad-ladder', ['bad-a', 'bad-b'], [{ type: 'vulnerability', maxSeverity: 'Severe' }]);
    const res = await api('PUT', '/policies', bad);
    expect(res.status).toBe(400);
    const error = ((await res.json()) as { errors: Array<{ code: string; message: string; detail: { problems: Array<{ path: string; message: string }> } }> }).errors[0]!;
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.detail.problems.map((p) => p.path)).toContain('/spec/transitions/0/gates/0/maxSeverity');
    expect(error.message).toContain('/spec/transitions/0/gates/0/maxSeverity');
    expect((await api('GET', '/policies/PromotionLadder/bad-ladder')).status).toBe(404);
    expect((await api('GET', '/projects/bad-a', undefined, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(404);

    const typo = await api('PUT', '/policies', { ...trust('typo', pem), spec: { kyes: [] } });
    expect(typo.status).toBe(400);
    expect(JSON.stringify(await typo.json())).toContain('/spec/kyes');
  });

  it('answers bad bodies with 400 and oversized ones with 413', async () => {
    expect((await api('PUT', '/policies', '{"kind": ')).status).toBe(400);
    expect((await api('PUT', '/policies', 'kind: [unclosed', undefined, { 'content-type': 'application/yaml' })).status).toBe(400);
    expect((await api('PUT', '/policies', '')).status).toBe(400);
    expect((await api('PUT', '/policies', [1, 2])).status).toBe(400);
    expect((await api('PUT', '/policies', 'x'.repeat(300 * 1024))).status).toBe(413);
    expect((await api('GET', '/policies/Nonsense/x')).status).toBe(400);
    expect((await api('GET', '/policies/TrustPolicy/..%2Fetc')).status).toBe(400);
    expect((await api('GET', '/policies/TrustPolicy/ci-keys/versions/0')).status).toBe(400);
    expect((await api('GET', '/policies/TrustPolicy/ci-keys/versions/99')).status).toBe(404);
  });

  it('creates the stage projects of a ladder, and refuses a project that is a stage of another ladder', async () => {
    const applied = await apply(ladder('pipeline', ['pipe-dev', 'pipe-prod'], [{ type: 'signature', trustPolicy: 'not-yet' }]), 201);
    expect(applied.projects_created).toEqual(['pipe-dev', 'pipe-prod']);
    expect(applied.warnings).toEqual(['/spec/transitions/0/gates/0/trustPolicy: trust policy not-yet does not exist yet; the gate fails until it is applied']);
    const project = await api('GET', '/projects/pipe-prod', undefined, undefined, { 'X-Is-Resource-Name': 'true' });
    expect(project.status).toBe(200);
    expect(((await project.json()) as { metadata: { public: string } }).metadata.public).toBe('false');

    const clash = await api('PUT', '/policies', ladder('other-pipeline', ['pipe-prod', 'elsewhere']));
    expect(clash.status).toBe(400);
    expect(JSON.stringify(await clash.json())).toContain('/spec/stages/0/project');
    expect((await api('GET', '/projects/elsewhere', undefined, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(404);
  });

  it('lists by kind, lets any signed-in user read and only administrators write', async () => {
    const all = (await (await api('GET', '/policies?page_size=100')).json()) as StoredPolicyBody[];
    expect(all.map((p) => `${p.kind}/${p.name}`)).toEqual(expect.arrayContaining(['TrustPolicy/ci-keys', 'PromotionLadder/pipeline']));
    const ladders = (await (await api('GET', '/policies?kind=PromotionLadder')).json()) as StoredPolicyBody[];
    expect(ladders.every((p) => p.kind === 'PromotionLadder')).toBe(true);

    const reader = basic('reader', 'Reader-Passw0rd');
    expect((await api('GET', '/policies', undefined, reader)).status).toBe(200);
    expect((await api('GET', '/policies/TrustPolicy/ci-keys', undefined, reader)).status).toBe(200);
    expect((await api('GET', '/policies', undefined, null)).status).toBe(401);
    expect((await api('PUT', '/policies', trust('reader-keys', pem), reader)).status).toBe(403);
    expect((await api('PUT', '/policies', trust('anon-keys', pem), null)).status).toBe(401);
    expect((await api('DELETE', '/policies/TrustPolicy/ci-keys', undefined, reader)).status).toBe(403);
  });

  it('refuses to delete a trust policy a ladder or a project names; deletes by a tombstone version', async () => {
    await apply(trust('used-keys', pem), 201);
    await apply(ladder('uses-keys', ['uk-a', 'uk-b'], [{ type: 'signature', trustPolicy: 'used-keys' }]), 201);
    const inUse = await api('DELETE', '/policies/TrustPolicy/used-keys');
    expect(inUse.status).toBe(412);
    expect(((await inUse.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toContain('ladder uses-keys');

    expect((await api('DELETE', '/policies/PromotionLadder/uses-keys')).status).toBe(200);
    expect((await api('GET', '/policies/PromotionLadder/uses-keys')).status).toBe(404);
    const history = (await (await api('GET', '/policies/PromotionLadder/uses-keys/versions')).json()) as StoredPolicyBody[];
    expect(history.map((v) => [v.version, v.deleted])).toEqual([
      [2, true],
      [1, false],
    ]);

    // A project enforcing signatures against it holds it too.
    expect((await api('PUT', '/projects/uk-a', { metadata: { enable_content_trust_cosign: 'true', trust_policy: 'used-keys' } }, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(200);
    const held = await api('DELETE', '/policies/TrustPolicy/used-keys');
    expect(held.status).toBe(412);
    expect(((await held.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toContain('project uk-a');
    await apply(trust('spare-keys', pem), 201);
    expect((await api('PUT', '/projects/uk-a', { metadata: { trust_policy: 'spare-keys' } }, undefined, { 'X-Is-Resource-Name': 'true' })).status).toBe(200);
    expect((await api('DELETE', '/policies/TrustPolicy/used-keys')).status).toBe(200);
    expect((await api('DELETE', '/policies/TrustPolicy/used-keys')).status).toBe(404);
  });

  it("keeps Harbor's CVE allowlists: the system's and a project's cve_allowlist", async () => {
    const empty = (await (await api('GET', '/system/CVEAllowlist')).json()) as { project_id: number; items: unknown[]; expires_at: number | null };
    expect(empty).toMatchObject({ project_id: 0, items: [], expires_at: null });
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    expect((await api('PUT', '/system/CVEAllowlist', { items: [{ cve_id: 'CVE-2024-1' }, { cve_id: 'CVE-2024-1' }, { cve_id: 'GHSA-xxxx-yyyy' }], expires_at: expiry })).status).toBe(200);
    const set = (await (await api('GET', '/system/CVEAllowlist', undefined, basic('reader', 'Reader-Passw0rd'))).json()) as { items: Array<{ cve_id: string }>; expires_at: number };
    expect(set.items.map((i) => i.cve_id)).toEqual(['CVE-2024-1', 'GHSA-xxxx-yyyy']);
    expect(set.expires_at).toBe(expiry);
    expect((await api('PUT', '/system/CVEAllowlist', { items: [] }, basic('reader', 'Reader-Passw0rd'))).status).toBe(403);
    expect((await api('PUT', '/system/CVEAllowlist', { items: [{ cve_id: 'not a cve; drop table' }] })).status).toBe(400);
    expect((await api('PUT', '/system/CVEAllowlist', { items: 'CVE-1' })).status).toBe(400);

    const named = { 'X-Is-Resource-Name': 'true' };
    expect((await api('POST', '/projects', { project_name: 'allow-p', metadata: { reuse_sys_cve_allowlist: 'false' }, cve_allowlist: { items: [{ cve_id: 'CVE-2023-7' }] } })).status).toBe(201);
    const project = (await (await api('GET', '/projects/allow-p', undefined, undefined, named)).json()) as { project_id: number; cve_allowlist: { project_id: number; items: Array<{ cve_id: string }> } };
    expect(project.cve_allowlist.items).toEqual([{ cve_id: 'CVE-2023-7' }]);
    expect(project.cve_allowlist.project_id).toBe(project.project_id);
    const effective = await server.services.allowlists.effective(project.project_id);
    expect([...effective.cves]).toEqual(['CVE-2023-7']);
    expect((await api('PUT', '/projects/allow-p', { metadata: { reuse_sys_cve_allowlist: 'true' } }, undefined, named)).status).toBe(200);
    expect([...(await server.services.allowlists.effective(project.project_id)).cves]).toEqual(['CVE-2024-1', 'GHSA-xxxx-yyyy']);
    expect((await api('PUT', '/system/CVEAllowlist', { items: [] })).status).toBe(200);
  });
});
