import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { parseReference } from '../../server/registry/names.ts';
import { apiClient, apiErrorCode, type ApiCall } from '../helpers/api-client.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

const rule = (tag: string, repo = '**', opts: { tagDecoration?: string; repoDecoration?: string; disabled?: boolean } = {}) => ({
  disabled: opts.disabled ?? false,
  action: 'immutable',
  template: 'immutable_template',
  params: {},
  priority: 0,
  tag_selectors: [{ kind: 'doublestar', decoration: opts.tagDecoration ?? 'matches', pattern: tag }],
  scope_selectors: { repository: [{ kind: 'doublestar', decoration: opts.repoDecoration ?? 'repoMatches', pattern: repo }] },
});

interface Rule {
  id: number;
  disabled: boolean;
  priority: number;
  tag_selectors: Array<{ pattern: string; decoration: string }>;
  scope_selectors: { repository: Array<{ pattern: string; decoration: string }> };
}

/**
 * /api/v2.0/projects/{p}/immutabletagrules and their enforcement in ManifestService, which serves both /v2 and
 * the management API: an immutable tag cannot move to another digest or be deleted, nor can an artifact that
 * carries one (412); re-pushing the same digest, new tags and tags no rule covers are fine.
 */
describe('tag immutability', () => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  const events: DomainEvent[] = [];
  const named = { 'X-Is-Resource-Name': 'true' };

  beforeAll(async () => {
    server = await createTestServer();
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    for (const name of ['imm', 'imm-crud', 'imm-full', 'imm-status']) expect((await api('POST', '/projects', { project_name: name })).status).toBe(201);
    server.services.events.on('*', (e) => void events.push(e));
  });
  afterAll(async () => server?.stop());

  const rules = async (project: string, query = ''): Promise<Rule[]> => {
    const res = await api('GET', `/projects/${project}/immutabletagrules${query}`, undefined, undefined, named);
    expect(res.status).toBe(200);
    return (await res.json()) as Rule[];
  };
  const create = async (project: string, body: unknown): Promise<number> => {
    const res = await api('POST', `/projects/${project}/immutabletagrules`, body, undefined, named);
    expect(res.status, await res.clone().text()).toBe(201);
    return Number(res.headers.get('location')!.split('/').at(-1));
  };
  const errorOf = async (res: Response): Promise<{ code: string; message: string }> => ((await res.json()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;

  it('creates, lists, updates and deletes rules in Harbor shapes, with policy events', async () => {
    const id = await create('imm-crud', rule('v*', 'app/**'));
    const [listed] = await rules('imm-crud');
    const { tag_selectors, scope_selectors } = rule('v*', 'app/**');
    expect(listed).toEqual({ id, priority: 0, disabled: false, action: 'immutable', template: 'immutable_template', params: {}, tag_selectors, scope_selectors });
    expect((await api('PUT', `/projects/imm-crud/immutabletagrules/${id}`, { ...rule('release-*', 'app/**'), id, disabled: true, priority: 3 }, undefined, named)).status).toBe(200);
    expect((await rules('imm-crud'))[0]).toMatchObject({ id, disabled: true, priority: 3, tag_selectors: [{ pattern: 'release-*' }] });
    expect((await api('DELETE', `/projects/imm-crud/immutabletagrules/${id}`, undefined, undefined, named)).status).toBe(200);
    expect(await rules('imm-crud')).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    const policy = events.filter((e) => e.name.startsWith('policy.')).map((e) => [e.name, (e.data as { kind: string }).kind, (e.data as { policyId: number }).policyId]);
    expect(policy).toEqual([
      ['policy.created', 'immutability', id],
      ['policy.updated', 'immutability', id],
      ['policy.deleted', 'immutability', id],
    ]);
    expect(events.find((e) => e.name === 'policy.created')).toMatchObject({ operator: 'admin', data: { name: 'repositories matching app/**, tags matching v*' } });
  });

  it('pages the list by id and refuses a q= it cannot apply', async () => {
    const ids = [];
    for (const t of ['a*', 'b*', 'c*']) ids.push(await create('imm-crud', rule(t)));
    const res = await api('GET', '/projects/imm-crud/immutabletagrules?page=2&page_size=2', undefined, undefined, named);
    expect(res.headers.get('x-total-count')).toBe('3');
    expect(((await res.json()) as Rule[]).map((r) => r.id)).toEqual([ids[2]]);
    expect((await rules('imm-crud', '?sort=-id')).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await api('GET', '/projects/imm-crud/immutabletagrules?q=id%3D1', undefined, undefined, named)).status).toBe(400);
  });

  it('allows at most 15 rules per project and no two with the same selectors', async () => {
    for (let i = 0; i < 15; i++) await create('imm-full', rule(`t${i}-*`));
    const sixteenth = await api('POST', '/projects/imm-full/immutabletagrules', rule('t15-*'), undefined, named);
    expect(sixteenth.status).toBe(400);
    expect((await errorOf(sixteenth)).message).toContain('15 immutability rules');
    const [first, second] = await rules('imm-full');
    expect((await api('DELETE', `/projects/imm-full/immutabletagrules/${first!.id}`, undefined, undefined, named)).status).toBe(200);
    const duplicate = await api('POST', '/projects/imm-full/immutabletagrules', rule('t1-*'), undefined, named);
    expect(duplicate.status).toBe(409);
    expect(await apiErrorCode(duplicate)).toBe('CONFLICT');
    // Updating a rule into another's selectors is the same conflict.
    const clash = await api('PUT', `/projects/imm-full/immutabletagrules/${second!.id}`, rule('t2-*'), undefined, named);
    expect(clash.status).toBe(409);
  });

  it.each([
    ['malformed JSON', '{"tag_selectors":', 'not valid JSON'],
    ['no tag selectors', { scope_selectors: rule('x').scope_selectors }, 'missing field "tag_selectors"'],
    ['no scope selectors', { tag_selectors: rule('x').tag_selectors }, 'missing field "scope_selectors"'],
    ['two tag selectors', { ...rule('x'), tag_selectors: [...rule('x').tag_selectors, ...rule('y').tag_selectors] }, 'more than 1 items'],
    ['no repository selector', { ...rule('x'), scope_selectors: { repository: [] } }, 'fewer than 1 items'],
    ['a namespace scope', { ...rule('x'), scope_selectors: { ...rule('x').scope_selectors, namespace: [] } }, 'unknown field "namespace"'],
    ['an unknown field', { ...rule('x'), name: 'mine' }, 'unknown field "name"'],
    ['another action', { ...rule('x'), action: 'retain' }, 'action must be "immutable"'],
    ['another template', { ...rule('x'), template: 'latestPushedK' }, 'template must be "immutable_template"'],
    ['a label selector', { ...rule('x'), tag_selectors: [{ kind: 'label', decoration: 'matches', pattern: 'x' }] }, 'tag_selectors[0].kind must be "doublestar"'],
    ['a repository decoration on tags', { ...rule('x'), tag_selectors: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: 'x' }] }, 'tag_selectors[0].decoration must be "matches" or "excludes"'],
    ['a tag decoration on repositories', rule('x', '**', { repoDecoration: 'matches' }), 'scope_selectors.repository[0].decoration must be "repoMatches" or "repoExcludes"'],
    ['an empty pattern', rule(''), '"tag_selectors.0.pattern" must NOT have fewer than 1 characters'],
    ['a malformed pattern', rule('v[1'), 'tag_selectors[0].pattern "v[1" is not a valid doublestar pattern'],
    ['a wrong type', { ...rule('x'), disabled: 'no' }, '"disabled" must be boolean'],
    ['a huge priority', { ...rule('x'), priority: 1e12 }, '"priority" must be <= 1000000'],
  ])('refuses a rule with %s with a 400 naming the problem', async (_name, body, message) => {
    const before = await rules('imm-crud');
    const res = await api('POST', '/projects/imm-crud/immutabletagrules', body, undefined, named);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(message);
    expect(await rules('imm-crud')).toEqual(before);
  });

  it.each([
    ['an unknown project', 'GET', '/projects/nope/immutabletagrules', undefined, 404],
    ['an unknown rule', 'PUT', '/projects/imm-crud/immutabletagrules/999999', rule('zz'), 404],
    ['an unknown rule', 'DELETE', '/projects/imm-crud/immutabletagrules/999999', undefined, 404],
    ['a non-numeric rule id', 'DELETE', '/projects/imm-crud/immutabletagrules/abc', undefined, 400],
    ['a body id that differs from the path', 'PUT', '/projects/imm-crud/immutabletagrules/1', { ...rule('zz'), id: 2 }, 400],
    ['a bad page size', 'GET', '/projects/imm-crud/immutabletagrules?page_size=x', undefined, 400],
    ['a body over 1 MiB', 'POST', '/projects/imm-crud/immutabletagrules', JSON.stringify({ ...rule('big'), params: { pad: 'x'.repeat(2 * 1024 * 1024) } }), 413],
    ['an unknown sort key', 'GET', '/projects/imm-crud/immutabletagrules?sort=pattern', undefined, 400],
  ])('answers %s (%s) with a Harbor error', async (_name, method, path, body, status) => {
    const res = await api(method, path, body, undefined, named);
    expect(res.status).toBe(status);
    expect(await apiErrorCode(res)).toBe(status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST');
  });

  it("does not touch another project's rule through this project's path", async () => {
    const id = await create('imm-crud', rule('other-*'));
    expect((await api('DELETE', `/projects/imm/immutabletagrules/${id}`, undefined, undefined, named)).status).toBe(404);
    expect((await api('PUT', `/projects/imm/immutabletagrules/${id}`, rule('hijack-*'), undefined, named)).status).toBe(404);
    expect((await rules('imm-crud')).find((r) => r.id === id)?.tag_selectors[0]?.pattern).toBe('other-*');
  });

  describe('enforcement', () => {
    let v1: { digest: string; manifest: Buffer };
    let other: { digest: string; manifest: Buffer };
    beforeAll(async () => {
      await create('imm', rule('v*', 'app/**'));
      await create('imm', rule('{latest,dev-*}', 'tools', { tagDecoration: 'excludes' }));
      await create('imm', rule('**', '**', { disabled: true }));
      v1 = await oci.pushImage('imm/app/web', 'v1', { layers: [randomBytes(100)] });
      other = await oci.pushImage('imm/app/web', 'scratch', { layers: [randomBytes(100)] });
    });

    it('refuses to move an immutable tag to another digest with 412, on /v2', async () => {
      const res = await oci.putManifest('imm/app/web', 'v1', other.manifest);
      expect(res.status).toBe(412);
      const error = await errorOf(res);
      expect(error.code).toBe('DENIED');
      expect(error.message).toMatch(/the tag imm\/app\/web:v1 is immutable \(rule \d+\) and cannot be overwritten/);
      expect((await oci.request('HEAD', '/v2/imm/app/web/manifests/v1')).headers.get('docker-content-digest')).toBe(v1.digest);
    });

    it('accepts a re-push of the same digest and a new tag matching a rule, which is immutable from then on', async () => {
      expect((await oci.putManifest('imm/app/web', 'v1', v1.manifest)).status).toBe(201);
      expect((await oci.putManifest('imm/app/web', 'v2', other.manifest)).status).toBe(201);
      expect((await oci.putManifest('imm/app/web', 'v2', v1.manifest)).status).toBe(412);
    });

    it('lets tags no enabled rule covers move and go', async () => {
      expect((await oci.putManifest('imm/app/web', 'scratch', v1.manifest)).status).toBe(201);
      expect((await oci.request('DELETE', '/v2/imm/app/web/manifests/scratch')).status).toBe(202);
      // The rule for "tools" excludes latest and dev-*: those move, others are immutable.
      const tool = await oci.pushImage('imm/tools', 'latest', { layers: [randomBytes(50)] });
      const next = await oci.pushImage('imm/tools', 'stable', { layers: [randomBytes(50)] });
      expect((await oci.putManifest('imm/tools', 'latest', next.manifest)).status).toBe(201);
      expect((await oci.putManifest('imm/tools', 'dev-7', tool.manifest)).status).toBe(201);
      expect((await oci.putManifest('imm/tools', 'dev-7', next.manifest)).status).toBe(201);
      expect((await oci.putManifest('imm/tools', 'stable', tool.manifest)).status).toBe(412);
      // Repository patterns match the name inside the project: "tools" is not "imm/tools/sub".
      await oci.pushImage('imm/tools/sub', 'stable', { layers: [randomBytes(50)] });
      const moved = await oci.pushImage('imm/tools/sub', 'other', { layers: [randomBytes(50)] });
      expect((await oci.putManifest('imm/tools/sub', 'stable', moved.manifest)).status).toBe(201);
    });

    it('refuses to delete an immutable tag, or an artifact carrying one, with 412', async () => {
      const byTag = await oci.request('DELETE', '/v2/imm/app/web/manifests/v1');
      expect(byTag.status).toBe(412);
      expect((await errorOf(byTag)).message).toContain('cannot be deleted');
      const byDigest = await oci.request('DELETE', `/v2/imm/app/web/manifests/${v1.digest}`);
      expect(byDigest.status).toBe(412);
      expect((await errorOf(byDigest)).message).toContain(`${v1.digest} carries the tag imm/app/web:v1`);
      expect((await oci.request('HEAD', `/v2/imm/app/web/manifests/${v1.digest}`)).status).toBe(200);
      // An unknown tag stays unknown, rule or not.
      expect((await oci.request('DELETE', '/v2/imm/app/web/manifests/v404')).status).toBe(404);
    });

    it('enforces the same rules for callers of ManifestService other than /v2 (the API tag delete)', async () => {
      const project = (await server.services.projects.findByName('imm'))!;
      const refused = await server.services.manifests.delete('imm/app/web', project, parseReference('v1'), 'admin').catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'PRECONDITION', status: 412 });
    });

    it('applies rule changes at once and answers pushes from memory while the rules stand', async () => {
      const [ruleForApp] = await rules('imm');
      const statements: string[] = [];
      const knex = server.services.db.knex;
      knex.on('query', (q: { sql: string }) => statements.push(q.sql));
      await oci.pushImage('imm/app/web', 'v9', { layers: [randomBytes(60)] });
      expect((await oci.putManifest('imm/app/web', 'v9', v1.manifest)).status).toBe(412);
      knex.removeAllListeners('query');
      expect(statements.filter((s) => s.includes('immutable_rules'))).toEqual([]);
      // Disabling the rule frees its tags at once.
      expect((await api('PUT', `/projects/imm/immutabletagrules/${ruleForApp!.id}`, { ...rule('v*', 'app/**'), disabled: true }, undefined, named)).status).toBe(200);
      expect((await oci.putManifest('imm/app/web', 'v9', v1.manifest)).status).toBe(201);
      expect((await oci.request('DELETE', '/v2/imm/app/web/manifests/v9')).status).toBe(202);
    });

    it('tells the artifacts API which tags are immutable', async () => {
      const project = (await server.services.projects.findByName('imm'))!;
      const tags = await server.services.immutability.immutableTags(project.id, 'imm/tools', ['latest', 'stable', 'dev-1', 'v1']);
      expect([...tags].sort()).toEqual(['stable', 'v1']);
      expect(await server.services.immutability.immutableTags(project.id, 'imm/app/web', ['v1'])).toEqual(new Set());
    });
  });

  it('marks the tags a rule protects in the artifacts API when with_immutable_status is asked for', async () => {
    await create('imm-status', rule('release-*', 'team/**'));
    const image = await oci.pushImage('imm-status/team/app', 'release-1');
    expect((await oci.putManifest('imm-status/team/app', 'dev', image.manifest)).status).toBe(201);
    await oci.pushImage('imm-status/other', 'release-1');
    const tagsOf = async (repo: string, query: string): Promise<Record<string, boolean>> => {
      const res = await api('GET', `/projects/imm-status/repositories/${repo}/artifacts?${query}`);
      expect(res.status, await res.clone().text()).toBe(200);
      const [artifact] = (await res.json()) as Array<{ tags: Array<{ name: string; immutable: boolean }> }>;
      return Object.fromEntries(artifact!.tags.map((t) => [t.name, t.immutable]));
    };
    expect(await tagsOf('team%252Fapp', 'with_immutable_status=true')).toEqual({ dev: false, 'release-1': true });
    expect(await tagsOf('team%252Fapp', 'with_immutable_status=false')).toEqual({ dev: false, 'release-1': false });
    // The rule covers team/** only.
    expect(await tagsOf('other', 'with_immutable_status=true')).toEqual({ 'release-1': false });
    const tags = await api('GET', `/projects/imm-status/repositories/team%252Fapp/artifacts/${image.digest}/tags?with_immutable_status=true`);
    expect(((await tags.json()) as Array<{ name: string; immutable: boolean }>).map((t) => [t.name, t.immutable])).toEqual([
      ['dev', false],
      ['release-1', true],
    ]);
  });

  it('refuses to delete a repository that holds an immutable tag, deleting none of it', async () => {
    await create('imm-status', rule('keep-*', 'keeper'));
    await oci.pushImage('imm-status/keeper', 'scratch');
    await oci.pushImage('imm-status/keeper', 'keep-1');
    const res = await api('DELETE', '/projects/imm-status/repositories/keeper');
    expect(res.status).toBe(412);
    const error = await errorOf(res);
    expect(error.code).toBe('PRECONDITION');
    expect(error.message).toContain('keep-1');
    const left = await api('GET', '/projects/imm-status/repositories/keeper/artifacts');
    expect(((await left.json()) as unknown[]).length).toBe(2);
  });
});
