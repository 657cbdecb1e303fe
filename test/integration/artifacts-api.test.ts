import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeSql, mediaTypeSql, artifactTypeSql } from '../../server/artifacts/artifact-type.ts';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { apiClient, apiErrorCode, type ApiCall } from '../helpers/api-client.ts';
import { pushCosignSignature, pushHelmChart, pushIndex, pushReferrer, notationType } from '../helpers/artifact-fixtures.ts';
import { typeCases } from '../helpers/artifact-type-cases.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, sha256, type PushedImage } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

interface Artifact {
  id: number;
  digest: string;
  type: string;
  media_type: string;
  manifest_media_type: string;
  artifact_type: string;
  size: number;
  repository_name: string;
  extra_attrs: Record<string, unknown>;
  annotations: Record<string, string>;
  tags?: Array<{ name: string; artifact_id: number; immutable: boolean; pull_time: string }>;
  references?: Array<{ parent_id: number; child_id: number; child_digest: string; platform: { architecture: string; os: string } }>;
  accessories?: Array<{ id: number; digest: string; type: string; subject_artifact_id: number; subject_artifact_digest: string; subject_artifact_repo: string; size: number }>;
  addition_links: Record<string, { href: string; absolute: boolean }>;
  pull_time: string;
  pull_count: number;
}

describe.each(databaseKinds)('artifacts API on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  const events: DomainEvent[] = [];
  let v1: PushedImage;
  let v2: PushedImage;
  let index: Awaited<ReturnType<typeof pushIndex>>;
  let chart: Awaited<ReturnType<typeof pushHelmChart>>;
  let signature: string;
  let notation: string;
  const repo = '/projects/library/repositories/app';

  const json = async <T>(path: string): Promise<{ status: number; body: T; total: string | null; link: string | null }> => {
    const res = await api('GET', path);
    return { status: res.status, body: (await res.json()) as T, total: res.headers.get('x-total-count'), link: res.headers.get('link') };
  };
  const digests = (list: Artifact[]) => list.map((a) => a.digest);

  beforeAll(async () => {
    server = await createTestServer({ database });
    server.services.events.on('*', (e) => void events.push(e));
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    const config = { created: '2026-01-02T03:04:05Z', author: 'Ada <ada@example.com>', config: { Env: ['PATH=/bin'], Cmd: ['/app'] }, history: [{ created: '2026-01-02T03:04:05Z', created_by: 'COPY app /app' }] };
    v1 = await pushWithConfig(oci, 'library/app', 'v1', config);
    v2 = await oci.pushImage('library/app', 'v2');
    index = await pushIndex(oci, 'library/app', 'multi');
    chart = await pushHelmChart(oci, 'library/charts/web', 'web', '0.1.0');
    signature = await pushCosignSignature(oci, 'library/app', v1.digest);
    notation = await pushReferrer(oci, 'library/app', { digest: v1.digest, size: v1.manifest.length }, notationType);
  });
  afterAll(async () => server?.stop());

  it('lists the artifacts Harbor lists: no untagged index children, no accessories, newest first', async () => {
    const { status, body, total } = await json<Artifact[]>(`${repo}/artifacts`);
    expect(status).toBe(200);
    expect(total).toBe('3');
    expect(digests(body)).toEqual([index.digest, v2.digest, v1.digest]);
    for (const hidden of [...index.children.map((c) => c.digest), signature, notation]) expect(digests(body)).not.toContain(hidden);
  });

  it('presents an image with Harbor fields: type, media types, size, extra_attrs from the config, tags and addition links', async () => {
    const { body } = await json<Artifact>(`${repo}/artifacts/v1`);
    expect(body).toMatchObject({
      digest: v1.digest,
      type: 'IMAGE',
      media_type: 'application/vnd.oci.image.config.v1+json',
      manifest_media_type: 'application/vnd.oci.image.manifest.v1+json',
      artifact_type: 'application/vnd.oci.image.config.v1+json',
      repository_name: 'library/app',
      size: v1.manifest.length + v1.config.length + v1.layers[0]!.length,
      pull_time: '0001-01-01T00:00:00.000Z',
      pull_count: 0,
      extra_attrs: { architecture: 'amd64', os: 'linux', created: '2026-01-02T03:04:05Z', author: 'Ada <ada@example.com>', config: { Env: ['PATH=/bin'], Cmd: ['/app'] } },
    });
    expect(body.tags!.map((t) => t.name)).toEqual(['v1']);
    expect(body.tags![0]).toMatchObject({ artifact_id: body.id, immutable: false });
    expect(body.addition_links.build_history).toEqual({ href: `/api/v2.0/projects/library/repositories/app/artifacts/${v1.digest}/additions/build_history`, absolute: false });
    // The same artifact by digest; without tags when asked.
    const byDigest = await json<Artifact>(`${repo}/artifacts/${v1.digest}?with_tag=false`);
    expect(byDigest.body.id).toBe(body.id);
    expect(byDigest.body.tags).toBeUndefined();
  });

  it('serves the build history from the image config', async () => {
    const res = await api('GET', `${repo}/artifacts/v1/additions/build_history`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual([{ created: '2026-01-02T03:04:05Z', created_by: 'COPY app /app' }]);
    const forIndex = await api('GET', `${repo}/artifacts/multi/additions/build_history`);
    expect(forIndex.status).toBe(400);
    expect((await api('GET', `${repo}/artifacts/v1/additions/values.yaml`)).status).toBe(404);
  });

  it('presents an index with its children as references, with platforms, and counts their size', async () => {
    const { body } = await json<Artifact>(`${repo}/artifacts/multi`);
    expect(body.type).toBe('IMAGE');
    expect(body.media_type).toBe('application/vnd.oci.image.index.v1+json');
    expect(body.artifact_type).toBe('');
    expect(body.addition_links).toEqual({});
    const indexBytes = await oci.request('GET', `/v2/library/app/manifests/multi`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(body.size).toBe(Buffer.from(await indexBytes.arrayBuffer()).length + index.children.reduce((s, c) => s + c.size, 0));
    const children = await Promise.all(index.children.map(async (c) => (await json<Artifact>(`${repo}/artifacts/${c.digest}`)).body));
    expect(body.references).toEqual(
      index.children
        .map((c, i) => ({ parent_id: body.id, child_id: children[i]!.id, child_digest: c.digest, platform: { architecture: c.architecture, os: 'linux' } }))
        .sort((a, b) => a.child_digest.localeCompare(b.child_digest)),
    );
    // Children are artifacts of their own: base=* lists them, and they carry their platform in extra_attrs.
    const all = await json<Artifact[]>(`${repo}/artifacts?q=base%3D*&page_size=50`);
    expect(all.total).toBe('5');
    expect(digests(all.body)).toEqual(expect.arrayContaining(index.children.map((c) => c.digest)));
    expect(children.map((c) => c.extra_attrs.architecture).sort()).toEqual(['amd64', 'arm64']);
  });

  it('types a Helm OCI chart as CHART with its Chart.yaml as extra_attrs', async () => {
    const { body } = await json<Artifact[]>('/projects/library/repositories/charts%252Fweb/artifacts');
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({ digest: chart.digest, type: 'CHART', media_type: 'application/vnd.cncf.helm.config.v1+json', extra_attrs: chart.chart, addition_links: {} });
    expect(body[0]!.annotations).toMatchObject({ 'org.opencontainers.image.title': 'web' });
  });

  it('shows accessories of an artifact: the cosign signature by tag and the Notation referrer by subject', async () => {
    const { body } = await json<Artifact>(`${repo}/artifacts/v1`);
    const accessories = [...body.accessories!].sort((a, b) => a.type.localeCompare(b.type));
    expect(accessories.map((a) => [a.digest, a.type])).toEqual([
      [signature, 'signature.cosign'],
      [notation, 'signature.notation'],
    ]);
    for (const a of accessories) expect(a).toMatchObject({ subject_artifact_id: body.id, subject_artifact_digest: v1.digest, subject_artifact_repo: 'library/app' });
    expect((await json<Artifact>(`${repo}/artifacts/v1?with_accessory=false`)).body.accessories).toBeUndefined();
    const page = await json<Array<{ digest: string }>>(`${repo}/artifacts/v1/accessories?page_size=1&page=2`);
    expect(page.total).toBe('2');
    expect(page.body).toHaveLength(1);
    expect(page.link).toContain('rel="prev"');
    expect(page.link).not.toContain('rel="next"');
    expect((await json<unknown[]>(`${repo}/artifacts/v2/accessories`)).body).toEqual([]);
  });

  it.each([
    ['digest exactly', () => `digest=${v2.digest}`, () => [v2.digest]],
    ['digest by any of', () => `digest={${v1.digest} ${v2.digest}}`, () => [v2.digest, v1.digest]],
    ['media_type', () => 'media_type=application/vnd.oci.image.index.v1+json', () => [index.digest]],
    ['type', () => 'type=IMAGE', () => [index.digest, v2.digest, v1.digest]],
    ['tags=* (tagged only)', () => 'tags=*', () => [index.digest, v2.digest, v1.digest]],
    ['tags=nil (untagged, base filter applied)', () => 'tags=nil', () => []],
    ['tags=nil with base=*', () => 'tags=nil,base=*', () => index.children.map((c) => c.digest)],
    ['a tag name', () => 'tags=v2', () => [v2.digest]],
    ['a fuzzy tag name', () => 'tags=~ult', () => [index.digest]],
  ])('filters the list by %s', async (_name, q, expected) => {
    const { status, body, total } = await json<Artifact[]>(`${repo}/artifacts?q=${encodeURIComponent(q())}&page_size=50`);
    expect(status).toBe(200);
    const want = expected();
    expect([...digests(body)].sort()).toEqual([...want].sort());
    expect(total).toBe(String(want.length));
  });

  it('filters by type in the database across a project, and pages with X-Total-Count and Link', async () => {
    expect(digests((await json<Artifact[]>('/projects/library/artifacts?q=type%3DCHART')).body)).toEqual([chart.digest]);
    const first = await json<Artifact[]>('/projects/library/artifacts?page_size=2&page=1&sort=push_time');
    expect(first.total).toBe('4');
    expect(digests(first.body)).toEqual([v1.digest, v2.digest]);
    expect(first.link).toBe('</api/v2.0/projects/library/artifacts?page_size=2&page=2&sort=push_time>; rel="next"');
    const second = await json<Artifact[]>('/projects/library/artifacts?page_size=2&page=2&sort=push_time');
    expect(digests(second.body)).toEqual([index.digest, chart.digest]);
    expect(second.link).toContain('rel="prev"');
    const latest = await json<Artifact[]>('/projects/library/artifacts?latest_in_repository=true&q=media_type%3Dapplication%2Fvnd.oci.image.config.v1%2Bjson');
    expect(digests(latest.body)).toEqual([v2.digest]);
    expect((await api('GET', '/projects/library/artifacts?latest_in_repository=true')).status).toBe(400);
    expect((await api('GET', '/projects/library/artifacts', undefined, null)).status).toBe(401);
  });

  it('sorts by the columns Harbor sorts by and refuses others', async () => {
    const bySize = await json<Artifact[]>(`${repo}/artifacts?sort=-size`);
    expect(bySize.body.map((a) => a.size)).toEqual([...bySize.body.map((a) => a.size)].sort((a, b) => b - a));
    const byDigest = await json<Artifact[]>(`${repo}/artifacts?sort=digest`);
    expect(digests(byDigest.body)).toEqual([...digests(byDigest.body)].sort());
    expect((await api('GET', `${repo}/artifacts?sort=manifest`)).status).toBe(400);
  });

  it('computes type, media_type and artifact_type in SQL exactly as the presenter does', async () => {
    const rows = typeCases.map(([, f]) => [f.manifestMediaType, f.configMediaType ?? null, f.artifactType ?? null, f.annotations ? JSON.stringify(f.annotations) : null]);
    const values = rows.map(() => '(?, ?, ?, ?::jsonb)').join(', ');
    const result = await server.services.db.knex.raw(
      `select ${typeSql('a')} as type, ${mediaTypeSql('a')} as media, ${artifactTypeSql('a')} as atype from (values ${values}) as a(media_type, config_media_type, artifact_type, annotations)`,
      rows.flat(),
    );
    expect((result.rows as Array<{ type: string; media: string; atype: string }>).map((r) => [r.type, r.media, r.atype])).toEqual(typeCases.map(([, , type, media, atype]) => [type, media, atype]));
  });

  it('deletes an artifact with its accessories, and an index with the children nothing else keeps', async () => {
    const child = index.children[0]!.digest;
    const refused = await api('DELETE', `${repo}/artifacts/${child}`);
    expect(refused.status).toBe(412);
    expect(await apiErrorCode(refused)).toBe('PRECONDITION');
    // Tag one child: it survives the index.
    expect((await api('POST', `${repo}/artifacts/${index.children[1]!.digest}/tags`, { name: 'keep-arm' })).status).toBe(201);
    expect((await api('DELETE', `${repo}/artifacts/multi`)).status).toBe(200);
    expect((await oci.request('HEAD', `/v2/library/app/manifests/${index.digest}`)).status).toBe(404);
    expect((await oci.request('HEAD', `/v2/library/app/manifests/${child}`)).status).toBe(404);
    expect((await oci.request('HEAD', `/v2/library/app/manifests/keep-arm`)).status).toBe(200);

    expect((await api('DELETE', `${repo}/artifacts/v1`)).status).toBe(200);
    for (const gone of [v1.digest, signature, notation]) expect((await oci.request('HEAD', `/v2/library/app/manifests/${gone}`)).status).toBe(404);
    expect((await oci.request('HEAD', `/v2/library/app/manifests/sha256-${v1.digest.slice(7)}.sig`)).status).toBe(404);
    const deleted = events.filter((e) => e.name === 'artifact.deleted').map((e) => (e.data as { digest: string }).digest);
    expect(deleted).toEqual(expect.arrayContaining([index.digest, child, v1.digest, signature, notation]));
    expect((await api('DELETE', `${repo}/artifacts/v1`)).status).toBe(404);
  });

  it('answers 404 for unknown artifacts, repositories and projects', async () => {
    expect((await api('GET', `${repo}/artifacts/nope`)).status).toBe(404);
    expect((await api('GET', `${repo}/artifacts/${sha256('nothing')}`)).status).toBe(404);
    expect((await api('GET', '/projects/library/repositories/nothing/artifacts')).status).toBe(404);
    expect((await api('GET', '/projects/nothing/repositories/app/artifacts')).status).toBe(404);
  });
});

/** Pushes an image whose config carries the given fields (created, author, config, history). */
async function pushWithConfig(oci: OciTestClient, repo: string, tag: string, extra: Record<string, unknown>): Promise<PushedImage> {
  const layer = Buffer.from(`layer of ${repo}:${tag} ${Math.random()}`);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, ...extra }));
  await oci.pushBlob(repo, layer);
  await oci.pushBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    }),
  );
  const res = await oci.putManifest(repo, tag, manifest);
  if (res.status !== 201) throw new Error(`push failed: ${res.status}`);
  return { digest: sha256(manifest), manifest, config, layers: [layer] };
}
