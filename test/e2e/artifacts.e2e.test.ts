import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { helmChartLayerType, helmConfigType } from '../helpers/artifact-fixtures.ts';
import { listFiles, uploadIds } from '../integration/storage-files.ts';
import {
  layoutBlob,
  layoutDigest,
  mediaTypes,
  readDigestFile,
  requireTools,
  Sandbox,
  sha256,
  startupTimeout,
  umociImage,
  type ImageIndex,
  type ImageManifest,
} from './tools.ts';

interface Artifact {
  id: number;
  digest: string;
  type: string;
  media_type: string;
  manifest_media_type: string;
  size: number;
  extra_attrs: Record<string, unknown>;
  tags: Array<{ name: string }>;
  references?: Array<{ child_digest: string; child_id: number; platform: { architecture: string; os: string } }>;
}

/**
 * The artifacts API over what real clients pushed: skopeo (from an umoci-built OCI layout), podman (a buildah-built
 * image, Docker v2s2), a two-platform manifest list pushed by buildah, and a Helm chart package (built here with
 * tar, pushed with Helm's OCI media types: no helm binary exists on this machine). Then a server-side copy between
 * projects that moves no blob bytes, pulled back by skopeo byte for byte.
 */
describe('artifacts API with real clients', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  let layout: string;
  let skopeoDigest: string;
  const auth = () => ({ authorization: `Basic ${Buffer.from(sb.creds).toString('base64')}` });
  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> => {
    const res = await fetch(`${berth.url}/api/v2.0${p}`, { method, headers: { ...auth(), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    // Changes answer with an empty (or plain text) body; everything else is JSON.
    const json = res.headers.get('content-type')?.startsWith('application/json');
    return { status: res.status, body: (json && text ? JSON.parse(text) : undefined) as T, headers: res.headers };
  };
  const blobFiles = async () => (await listFiles(path.join(berth.dataDir, 'storage', 'blobs'))).sort();

  /** `buildah from scratch` with one file, the platform set, committed as localhost/art-e2e:<arch>. */
  async function buildImage(arch: string): Promise<void> {
    const file = sb.path('tmp', `hello-${arch}.txt`);
    await writeFile(file, `artifacts e2e for ${arch}\n`);
    const container = (await sb.buildah(['from', 'scratch'])).stdout.trim();
    await sb.buildah(['copy', container, file, '/hello.txt']);
    await sb.buildah(['config', '--arch', arch, '--os', 'linux', '--author', 'e2e@example.com', '--cmd', '/hello.txt', container]);
    await sb.buildah(['commit', '-q', '--format', 'oci', '--rm', container, `localhost/art-e2e:${arch}`]);
  }

  beforeAll(async () => {
    await requireTools('skopeo', 'podman', 'buildah', 'umoci');
    berth = await startBerthProcess();
    sb = await Sandbox.create('artifacts', berth);
    layout = sb.path('layout');
    skopeoDigest = await umociImage(sb, layout, 'v1', { layers: [{ 'a.txt': 'first layer\n' }, { 'b.txt': 'second layer\n' }], architecture: 'arm64' });
    await buildImage('amd64');
    await buildImage('arm64');
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  it('shows a skopeo push with its tag, size, type and platform', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout}:v1`, sb.ref('library/art-skopeo:v1')]);
    const { status, body } = await api<Artifact[]>('GET', '/projects/library/repositories/art-skopeo/artifacts');
    expect(status).toBe(200);
    expect(body).toHaveLength(1);
    const manifest = JSON.parse((await layoutBlob(layout, skopeoDigest)).toString()) as ImageManifest;
    const manifestBytes = await layoutBlob(layout, skopeoDigest);
    expect(body[0]).toMatchObject({
      digest: skopeoDigest,
      type: 'IMAGE',
      media_type: 'application/vnd.oci.image.config.v1+json',
      manifest_media_type: mediaTypes.ociManifest,
      size: manifestBytes.length + manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0),
      extra_attrs: { architecture: 'arm64', os: 'linux' },
    });
    expect(body[0]!.tags.map((t) => t.name)).toEqual(['v1']);
  });

  it('shows a podman push (Docker v2s2) with its tag, type and the config podman built', async () => {
    const digestFile = sb.path('podman.digest');
    await sb.podman(['push', ...sb.registryFlags, '--format', 'v2s2', '--digestfile', digestFile, 'localhost/art-e2e:amd64', sb.ref('library/art-podman:v2s2')]);
    const digest = await readDigestFile(digestFile);
    const { body } = await api<Artifact>('GET', '/projects/library/repositories/art-podman/artifacts/v2s2');
    expect(body).toMatchObject({
      digest,
      type: 'IMAGE',
      manifest_media_type: mediaTypes.dockerManifest,
      media_type: 'application/vnd.docker.container.image.v1+json',
      extra_attrs: { architecture: 'amd64', os: 'linux', author: 'e2e@example.com', config: { Cmd: ['/hello.txt'] } },
    });
    const stored = await sb.manifestJson('library/art-podman', 'v2s2');
    const manifestBytes = (await sb.manifest('library/art-podman', 'v2s2')).body;
    expect(body.size).toBe(manifestBytes.length + stored.json.config.size + stored.json.layers.reduce((s, l) => s + l.size, 0));
    const history = await api<Array<{ created_by?: string }>>('GET', '/projects/library/repositories/art-podman/artifacts/v2s2/additions/build_history');
    expect(history.status).toBe(200);
    expect(history.body.length).toBeGreaterThan(0);
  });

  describe('a two-platform manifest list pushed by buildah', () => {
    let listDigest: string;
    let index: ImageIndex;

    it('is one artifact with its children as references, with platforms', async () => {
      await sb.buildah(['manifest', 'create', 'localhost/art-e2e-list']);
      for (const arch of ['amd64', 'arm64']) await sb.buildah(['manifest', 'add', 'localhost/art-e2e-list', `containers-storage:localhost/art-e2e:${arch}`]);
      const digestFile = sb.path('list.digest');
      await sb.buildah(['manifest', 'push', '--all', ...sb.registryFlags, '--digestfile', digestFile, 'localhost/art-e2e-list', sb.ref('library/art-multi:latest')]);
      listDigest = await readDigestFile(digestFile);
      index = (await sb.manifestJson<ImageIndex>('library/art-multi', 'latest')).json;

      const { body, headers } = await api<Artifact[]>('GET', '/projects/library/repositories/art-multi/artifacts');
      expect(headers.get('x-total-count')).toBe('1');
      const list = body[0]!;
      expect(list).toMatchObject({ digest: listDigest, type: 'IMAGE', tags: [{ name: 'latest' }] });
      expect(list.references!.map((r) => `${r.platform.os}/${r.platform.architecture}`).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      expect(list.references!.map((r) => r.child_digest).sort()).toEqual(index.manifests.map((m) => m.digest).sort());
      let childSizes = 0;
      for (const ref of list.references!) {
        const child = await api<Artifact>('GET', `/projects/library/repositories/art-multi/artifacts/${ref.child_digest}`);
        expect(child.status).toBe(200);
        expect(child.body.id).toBe(ref.child_id);
        expect(child.body.extra_attrs.architecture).toBe(ref.platform.architecture);
        childSizes += child.body.size;
      }
      expect(list.size).toBe((await sb.manifest('library/art-multi', 'latest')).body.length + childSizes);
      const all = await api<Artifact[]>('GET', '/projects/library/repositories/art-multi/artifacts?q=base%3D*');
      expect(all.body.map((a) => a.digest).sort()).toEqual([listDigest, ...index.manifests.map((m) => m.digest)].sort());
    });

    it('is also what skopeo copy --all from a layout built here produces', async () => {
      const multi = sb.path('multi-layout');
      await umociImage(sb, multi, 'amd64', { layers: [{ 'x.txt': 'amd64\n' }], architecture: 'amd64' });
      await umociImage(sb, multi, 'arm64', { layers: [{ 'x.txt': 'arm64\n' }], architecture: 'arm64' });
      const indexJson = JSON.parse(await readFile(path.join(multi, 'index.json'), 'utf8')) as ImageIndex;
      const children = indexJson.manifests.map((m) => ({ ...m, platform: { os: 'linux', architecture: m.annotations!['org.opencontainers.image.ref.name']! } }));
      const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: children.map(({ annotations: _a, ...m }) => m) }));
      await mkdir(path.join(multi, 'blobs', 'sha256'), { recursive: true });
      await writeFile(path.join(multi, 'blobs', 'sha256', sha256(list).slice(7)), list);
      indexJson.manifests.push({ mediaType: mediaTypes.ociIndex, digest: sha256(list), size: list.length, annotations: { 'org.opencontainers.image.ref.name': 'both' } });
      await writeFile(path.join(multi, 'index.json'), JSON.stringify(indexJson));
      await sb.skopeo(['copy', '--all', '--preserve-digests', ...sb.skopeoCopyFlags, `oci:${multi}:both`, sb.ref('library/art-layout:both')]);
      const { body } = await api<Artifact>('GET', '/projects/library/repositories/art-layout/artifacts/both');
      expect(body).toMatchObject({ digest: sha256(list), type: 'IMAGE', manifest_media_type: mediaTypes.ociIndex });
      expect(body.references!.map((r) => r.platform.architecture).sort()).toEqual(['amd64', 'arm64']);
    });

    it('is copied to another project without moving a blob byte, and skopeo pulls the copy back byte for byte', async () => {
      expect(index, 'the list test must pass first').toBeDefined();
      expect((await api('POST', '/projects', { project_name: 'art-target', metadata: { public: 'false' } })).status).toBe(201);
      const filesBefore = await blobFiles();
      const uploadsBefore = await uploadIds(berth.dataDir);
      const byDigest = await api('POST', `/projects/art-target/repositories/copies%252Fmulti/artifacts?from=library/art-multi@${listDigest}`);
      expect(byDigest.status).toBe(201);
      const byTag = await api('POST', '/projects/art-target/repositories/copies%252Fimage/artifacts?from=library/art-skopeo:v1');
      expect(byTag.status).toBe(201);
      expect(byTag.headers.get('location')).toBe('/api/v2.0/projects/art-target/repositories/copies%252Fimage/artifacts/v1');
      // No blob was written and no upload session was opened: only links and manifest rows.
      expect(await blobFiles()).toEqual(filesBefore);
      expect(uploadsBefore).toEqual([]);
      expect(await uploadIds(berth.dataDir)).toEqual([]);

      const source = sb.path('pull-source');
      const copy = sb.path('pull-copy');
      await sb.skopeo(['copy', '--all', '--preserve-digests', ...sb.skopeoCopyFlags, sb.ref(`library/art-multi@${listDigest}`), `oci:${source}:x`]);
      await sb.skopeo(['copy', '--all', '--preserve-digests', ...sb.skopeoCopyFlags, sb.ref(`art-target/copies/multi@${listDigest}`), `oci:${copy}:x`]);
      expect(await layoutDigest(copy, 'x')).toBe(listDigest);
      const sourceBlobs = (await listFiles(path.join(source, 'blobs'))).map((f) => path.relative(source, f)).sort();
      const copyBlobs = (await listFiles(path.join(copy, 'blobs'))).map((f) => path.relative(copy, f)).sort();
      expect(copyBlobs).toEqual(sourceBlobs);
      expect(copyBlobs.length).toBeGreaterThanOrEqual(1 + 2 * 3);
      for (const blob of copyBlobs) expect((await readFile(path.join(copy, blob))).equals(await readFile(path.join(source, blob))), blob).toBe(true);

      const image = sb.path('pull-image');
      await sb.skopeo(['copy', '--preserve-digests', ...sb.skopeoCopyFlags, sb.ref('art-target/copies/image:v1'), `oci:${image}:v1`]);
      expect(await layoutDigest(image, 'v1')).toBe(skopeoDigest);
      const manifest = JSON.parse((await layoutBlob(image, skopeoDigest)).toString()) as ImageManifest;
      for (const d of [manifest.config, ...manifest.layers]) expect((await layoutBlob(image, d.digest)).equals(await layoutBlob(layout, d.digest))).toBe(true);
      const listed = await api<Artifact[]>('GET', '/projects/art-target/artifacts?sort=digest');
      expect(listed.body.map((a) => a.digest).sort()).toEqual([listDigest, skopeoDigest].sort());
    });
  });

  it('types a Helm chart pushed with the OCI media types as CHART', async () => {
    const dir = sb.path('chart-src', 'mychart');
    await mkdir(path.join(dir, 'templates'), { recursive: true });
    await writeFile(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: mychart\nversion: 1.2.3\ndescription: an e2e chart\ntype: application\nappVersion: "4.5"\n');
    await writeFile(path.join(dir, 'values.yaml'), 'replicaCount: 2\n');
    await writeFile(path.join(dir, 'templates', 'service.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n');
    const tgzPath = sb.path('mychart-1.2.3.tgz');
    await sb.run('tar', ['-czf', tgzPath, '-C', sb.path('chart-src'), 'mychart']);
    const tgz = await readFile(tgzPath);
    expect((await sb.run('tar', ['-tzf', tgzPath])).stdout.split('\n')).toContain('mychart/Chart.yaml');
    // Helm's OCI push: the Chart.yaml metadata as a JSON config, the package as the one layer.
    const config = Buffer.from(JSON.stringify({ name: 'mychart', version: '1.2.3', description: 'an e2e chart', apiVersion: 'v2', appVersion: '4.5', type: 'application' }));
    await sb.registry.pushBlob('library/charts/mychart', config);
    await sb.registry.pushBlob('library/charts/mychart', tgz);
    const manifest = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: helmConfigType, digest: sha256(config), size: config.length }, layers: [{ mediaType: helmChartLayerType, digest: sha256(tgz), size: tgz.length }] };
    expect((await sb.registry.putManifest('library/charts/mychart', '1.2.3', manifest)).status).toBe(201);

    const { body } = await api<Artifact>('GET', '/projects/library/repositories/charts%252Fmychart/artifacts/1.2.3');
    expect(body).toMatchObject({ type: 'CHART', media_type: helmConfigType, extra_attrs: { name: 'mychart', version: '1.2.3', appVersion: '4.5' }, tags: [{ name: '1.2.3' }] });
    expect((await api<Artifact[]>('GET', '/projects/library/artifacts?q=type%3DCHART')).body.map((a) => a.digest)).toEqual([body.digest]);
    // The package comes back as it went in.
    const pulled = await sb.registry.request('GET', `/v2/library/charts/mychart/blobs/${sha256(tgz)}`);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(tgz)).toBe(true);
  });
});
