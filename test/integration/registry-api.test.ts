import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, errorCodes, ociIndexType, ociManifestType, sha256 } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

const sha512 = (data: Buffer | string): string => `sha512:${createHash('sha512').update(data).digest('hex')}`;
const emptyConfig = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 };

describe.each(databaseKinds)('OCI distribution API on %s', (kind) => {
  let server: TestServer;
  let oci: OciTestClient;
  let anon: OciTestClient;
  beforeAll(async () => {
    server = await createTestServer({ database: kind });
    oci = new OciTestClient(server.url, server.adminAuth);
    anon = new OciTestClient(server.url);
    await server.services.projects.ensure('private', false, null);
  });
  afterAll(async () => server?.stop());

  describe('GET /v2/', () => {
    it('challenges anonymous callers and answers administrators', async () => {
      const res = await anon.request('GET', '/v2/');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/service\/token",service="berth-registry"$/);
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      expect(await errorCodes(res)).toEqual(['UNAUTHORIZED']);
      expect((await oci.request('GET', '/v2/')).status).toBe(200);
    });
  });

  describe('blobs', () => {
    const data = randomBytes(100_000);
    const digest = sha256(data);

    it('accepts a monolithic POST with the digest and serves the blob with HEAD, GET and ranges', async () => {
      const post = await oci.request('POST', `/v2/library/blobs/blobs/uploads/?digest=${digest}`, { body: data });
      expect(post.status).toBe(201);
      expect(post.headers.get('location')).toBe(`/v2/library/blobs/blobs/${digest}`);
      expect(post.headers.get('docker-content-digest')).toBe(digest);

      const head = await anon.request('HEAD', `/v2/library/blobs/blobs/${digest}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(data.length));
      expect(head.headers.get('docker-content-digest')).toBe(digest);

      const get = await anon.request('GET', `/v2/library/blobs/blobs/${digest}`);
      expect(Buffer.from(await get.arrayBuffer()).equals(data)).toBe(true);

      const part = await anon.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 10-19/${data.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(10, 20))).toBe(true);

      const suffix = await anon.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { range: 'bytes=-5' } });
      expect(Buffer.from(await suffix.arrayBuffer()).equals(data.subarray(-5))).toBe(true);

      const beyond = await anon.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { range: `bytes=${data.length}-` } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${data.length}`);
    });

    it('does not serve a blob through a repository that never received it', async () => {
      const res = await anon.request('GET', `/v2/library/other/blobs/${digest}`);
      expect(res.status).toBe(404);
      expect(await errorCodes(res)).toEqual(['BLOB_UNKNOWN']);
    });

    it('uploads with POST then a single PUT carrying the body', async () => {
      const body = randomBytes(5000);
      const start = await oci.request('POST', '/v2/library/blobs/blobs/uploads/');
      expect(start.status).toBe(202);
      expect(start.headers.get('docker-upload-uuid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(start.headers.get('range')).toBe('0-0');
      const put = await oci.request('PUT', `${start.headers.get('location')}?digest=${sha256(body)}`, { body, headers: { 'content-type': 'application/octet-stream' } });
      expect(put.status).toBe(201);
      expect((await anon.request('HEAD', `/v2/library/blobs/blobs/${sha256(body)}`)).status).toBe(200);
    });

    it('uploads in chunks, reports progress, and refuses an out-of-order chunk with 416', async () => {
      const body = randomBytes(30_000);
      const start = await oci.request('POST', '/v2/library/blobs/blobs/uploads/');
      let location = start.headers.get('location')!;
      const first = await oci.request('PATCH', location, { body: body.subarray(0, 10_000), headers: { 'content-range': '0-9999' } });
      expect(first.status).toBe(202);
      expect(first.headers.get('range')).toBe('0-9999');
      location = first.headers.get('location')!;

      const status = await oci.request('GET', location);
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe('0-9999');

      const skipped = await oci.request('PATCH', location, { body: body.subarray(20_000), headers: { 'content-range': '20000-29999' } });
      expect(skipped.status).toBe(416);
      expect(skipped.headers.get('range')).toBe('0-9999');

      await oci.request('PATCH', location, { body: body.subarray(10_000, 20_000), headers: { 'content-range': '10000-19999' } });
      const close = await oci.request('PUT', `${location}?digest=${sha256(body)}`, { body: body.subarray(20_000), headers: { 'content-range': '20000-29999' } });
      expect(close.status).toBe(201);
      const back = await anon.request('GET', `/v2/library/blobs/blobs/${sha256(body)}`);
      expect(Buffer.from(await back.arrayBuffer()).equals(body)).toBe(true);
    });

    it('cancels an upload', async () => {
      const start = await oci.request('POST', '/v2/library/blobs/blobs/uploads/');
      const location = start.headers.get('location')!;
      expect((await oci.request('DELETE', location)).status).toBe(204);
      const after = await oci.request('GET', location);
      expect(after.status).toBe(404);
      expect(await errorCodes(after)).toEqual(['BLOB_UPLOAD_UNKNOWN']);
    });

    it('accepts sha512 digests', async () => {
      const body = randomBytes(2000);
      const d = sha512(body);
      expect((await oci.request('POST', `/v2/library/blobs/blobs/uploads/?digest=${d}`, { body })).status).toBe(201);
      const head = await anon.request('HEAD', `/v2/library/blobs/blobs/${d}`);
      expect(head.headers.get('docker-content-digest')).toBe(d);
    });

    it('mounts a blob from a readable repository with 201', async () => {
      const res = await oci.request('POST', `/v2/library/mounted/blobs/uploads/?mount=${digest}&from=library/blobs`);
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/v2/library/mounted/blobs/${digest}`);
      expect((await anon.request('HEAD', `/v2/library/mounted/blobs/${digest}`)).status).toBe(200);
    });

    it('falls back to a new upload (202) when the source does not hold the blob or does not exist', async () => {
      for (const from of ['library/empty', 'nothere/repo', 'Bad..Name']) {
        const res = await oci.request('POST', `/v2/library/mounted2/blobs/uploads/?mount=${digest}&from=${from}`);
        expect(res.status).toBe(202);
        expect(res.headers.get('location')).toMatch(/\/v2\/library\/mounted2\/blobs\/uploads\/[0-9a-f-]{36}$/);
      }
    });

    it('deletes a blob from a repository', async () => {
      const body = randomBytes(64);
      const d = await oci.pushBlob('library/delblob', body);
      expect((await oci.request('DELETE', `/v2/library/delblob/blobs/${d}`)).status).toBe(202);
      expect((await anon.request('HEAD', `/v2/library/delblob/blobs/${d}`)).status).toBe(404);
    });
  });

  describe('manifests', () => {
    it('stores an OCI image manifest by tag and serves it by tag and digest with Docker-Content-Digest', async () => {
      const image = await oci.pushImage('library/app', 'v1');
      for (const ref of ['v1', image.digest]) {
        const get = await anon.request('GET', `/v2/library/app/manifests/${ref}`);
        expect(get.status).toBe(200);
        expect(get.headers.get('content-type')).toBe(ociManifestType);
        expect(get.headers.get('docker-content-digest')).toBe(image.digest);
        expect(Buffer.from(await get.arrayBuffer()).equals(image.manifest)).toBe(true);
        const head = await anon.request('HEAD', `/v2/library/app/manifests/${ref}`);
        expect(head.headers.get('content-length')).toBe(String(image.manifest.length));
        expect(head.headers.get('docker-content-digest')).toBe(image.digest);
      }
    });

    it('stores Docker schema 2 manifests and manifest lists', async () => {
      const layer = randomBytes(300);
      const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
      await oci.pushBlob('library/docker', layer);
      await oci.pushBlob('library/docker', config);
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(layer), size: layer.length }],
      };
      const body = Buffer.from(JSON.stringify(manifest));
      expect((await oci.putManifest('library/docker', 'arm', body, manifest.mediaType)).status).toBe(201);
      const list = {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [{ mediaType: manifest.mediaType, digest: sha256(body), size: body.length, platform: { architecture: 'arm64', os: 'linux' } }],
      };
      const res = await oci.putManifest('library/docker', 'latest', list, list.mediaType);
      expect(res.status).toBe(201);
      const get = await anon.request('GET', '/v2/library/docker/manifests/latest');
      expect(get.headers.get('content-type')).toBe(list.mediaType);
    });

    it('stores a two-platform OCI index and refuses one naming an unknown manifest', async () => {
      const amd = await oci.pushImage('library/multi', 'amd64');
      const arm = await oci.pushImage('library/multi', 'arm64');
      const index = {
        schemaVersion: 2,
        mediaType: ociIndexType,
        manifests: [
          { mediaType: ociManifestType, digest: amd.digest, size: amd.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: ociManifestType, digest: arm.digest, size: arm.manifest.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        ],
      };
      expect((await oci.putManifest('library/multi', 'latest', index, ociIndexType)).status).toBe(201);
      const unknown = { ...index, manifests: [{ ...index.manifests[0], digest: sha256('missing') }] };
      const bad = await oci.putManifest('library/multi', 'broken', unknown, ociIndexType);
      expect(bad.status).toBe(400);
      expect(await errorCodes(bad)).toEqual(['MANIFEST_BLOB_UNKNOWN']);

      const child = await oci.request('DELETE', `/v2/library/multi/manifests/${amd.digest}`);
      expect(child.status).toBe(403);
      expect(await errorCodes(child)).toEqual(['DENIED']);
    });

    it('accepts a manifest pushed by its sha512 digest', async () => {
      const image = await oci.pushImage('library/sha512', 'base');
      const res = await oci.putManifest('library/sha512', sha512(image.manifest), image.manifest);
      expect(res.status).toBe(201);
      expect(res.headers.get('docker-content-digest')).toBe(sha512(image.manifest));
      expect((await anon.request('GET', `/v2/library/sha512/manifests/${sha512(image.manifest)}`)).status).toBe(200);
    });

    it('deletes by tag (the tag only) and by digest (the artifact and its tags)', async () => {
      const image = await oci.pushImage('library/del', 'one');
      await oci.putManifest('library/del', 'two', image.manifest);
      expect((await oci.request('DELETE', '/v2/library/del/manifests/one')).status).toBe(202);
      expect((await anon.request('GET', '/v2/library/del/manifests/one')).status).toBe(404);
      expect((await anon.request('GET', `/v2/library/del/manifests/${image.digest}`)).status).toBe(200);
      expect((await oci.request('DELETE', `/v2/library/del/manifests/${image.digest}`)).status).toBe(202);
      const gone = await anon.request('GET', '/v2/library/del/manifests/two');
      expect(gone.status).toBe(404);
      expect(await errorCodes(gone)).toEqual(['MANIFEST_UNKNOWN']);
      expect((await anon.request('HEAD', `/v2/library/del/manifests/${image.digest}`)).status).toBe(404);
    });
  });

  describe('artifacts and referrers', () => {
    it('stores an artifact with an empty config and lists it as a referrer with OCI-Subject', async () => {
      const subject = await oci.pushImage('library/signed', 'v1');
      await oci.pushBlob('library/signed', Buffer.from('{}'));
      const sig = await oci.pushBlob('library/signed', Buffer.from('signature-bytes'));
      const sbom = await oci.pushBlob('library/signed', Buffer.from('{"spdxVersion":"SPDX-2.3"}'));
      const artifact = (type: string, blob: string, size: number) => ({
        schemaVersion: 2,
        mediaType: ociManifestType,
        artifactType: type,
        config: emptyConfig,
        layers: [{ mediaType: 'application/octet-stream', digest: blob, size }],
        subject: { mediaType: ociManifestType, digest: subject.digest, size: subject.manifest.length },
        annotations: { 'org.opencontainers.image.created': '2026-11-22T00:00:00Z' },
      });
      const sigManifest = Buffer.from(JSON.stringify(artifact('application/vnd.dev.cosign.artifact.sig.v1+json', sig, 15)));
      const put = await oci.putManifest('library/signed', sha256(sigManifest), sigManifest);
      expect(put.status).toBe(201);
      expect(put.headers.get('oci-subject')).toBe(subject.digest);
      const sbomManifest = Buffer.from(JSON.stringify(artifact('application/spdx+json', sbom, 26)));
      expect((await oci.putManifest('library/signed', sha256(sbomManifest), sbomManifest)).status).toBe(201);

      const all = await anon.request('GET', `/v2/library/signed/referrers/${subject.digest}`);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe(ociIndexType);
      const index = (await all.json()) as { manifests: Array<{ digest: string; artifactType: string; annotations: object; size: number }> };
      expect(index.manifests.map((m) => m.digest).sort()).toEqual([sha256(sigManifest), sha256(sbomManifest)].sort());
      expect(index.manifests.find((m) => m.digest === sha256(sigManifest))).toMatchObject({
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        size: sigManifest.length,
        annotations: { 'org.opencontainers.image.created': '2026-11-22T00:00:00Z' },
      });

      const filtered = await anon.request('GET', `/v2/library/signed/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`);
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
      expect(((await filtered.json()) as { manifests: Array<{ digest: string }> }).manifests.map((m) => m.digest)).toEqual([sha256(sbomManifest)]);

      const none = await anon.request('GET', `/v2/library/signed/referrers/${sha256('nothing')}`);
      expect(none.status).toBe(200);
      expect(((await none.json()) as { manifests: unknown[] }).manifests).toEqual([]);
    });

    it('reports config.mediaType as the artifact type when artifactType is absent', async () => {
      const cfg = Buffer.from('{"helm":"chart"}');
      const layer = Buffer.from('chart-bytes');
      await oci.pushBlob('library/chart', cfg);
      await oci.pushBlob('library/chart', layer);
      const subject = await oci.pushImage('library/chart', 'base');
      const m = {
        schemaVersion: 2,
        mediaType: ociManifestType,
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha256(cfg), size: cfg.length },
        layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
        subject: { mediaType: ociManifestType, digest: subject.digest, size: subject.manifest.length },
      };
      expect((await oci.putManifest('library/chart', '0.1.0', m)).status).toBe(201);
      const res = await anon.request('GET', `/v2/library/chart/referrers/${subject.digest}`);
      const index = (await res.json()) as { manifests: Array<{ artifactType: string }> };
      expect(index.manifests[0]?.artifactType).toBe('application/vnd.cncf.helm.config.v1+json');
    });
  });

  describe('listings', () => {
    it('lists tags in order with n/last pagination and a Link header', async () => {
      const image = await oci.pushImage('library/tags', 'c');
      for (const t of ['a', 'b', 'd', 'e']) await oci.putManifest('library/tags', t, image.manifest);
      const first = await anon.request('GET', '/v2/library/tags/tags/list?n=2');
      expect(await first.json()).toEqual({ name: 'library/tags', tags: ['a', 'b'] });
      expect(first.headers.get('link')).toBe('</v2/library/tags/tags/list?n=2&last=b>; rel="next"');
      const second = await anon.request('GET', '/v2/library/tags/tags/list?n=2&last=b');
      expect(await second.json()).toEqual({ name: 'library/tags', tags: ['c', 'd'] });
      const last = await anon.request('GET', '/v2/library/tags/tags/list?n=2&last=d');
      expect(await last.json()).toEqual({ name: 'library/tags', tags: ['e'] });
      expect(last.headers.get('link')).toBeNull();
      const unknown = await anon.request('GET', '/v2/library/never/tags/list');
      expect(await errorCodes(unknown)).toEqual(['NAME_UNKNOWN']);
    });

    it('paginates the catalog and shows anonymous callers public repositories only', async () => {
      await oci.pushImage('private/secret', 'v1');
      const all: string[] = [];
      let next: string | null = '/v2/_catalog?n=3';
      while (next) {
        const res: Response = await oci.request('GET', next);
        all.push(...((await res.json()) as { repositories: string[] }).repositories);
        next = res.headers.get('link')?.match(/^<([^>]+)>/)?.[1] ?? null;
      }
      expect(all).toContain('private/secret');
      expect(all).toContain('library/app');
      expect(all).toEqual([...all].sort());
      const anonymous = (await (await anon.request('GET', '/v2/_catalog')).json()) as { repositories: string[] };
      expect(anonymous.repositories).not.toContain('private/secret');
      expect(anonymous.repositories).toContain('library/app');
    });
  });

  describe('access', () => {
    it('asks anonymous callers to authenticate for private projects and pushes', async () => {
      const pull = await anon.request('GET', '/v2/private/secret/manifests/v1');
      expect(pull.status).toBe(401);
      expect(pull.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*\/service\/token",service="berth-registry",scope="repository:private\/secret:pull"$/);
      const push = await anon.request('POST', '/v2/library/x/blobs/uploads/');
      expect(push.status).toBe(401);
      const bad = new OciTestClient(server.url, `Basic ${Buffer.from('admin:wrong').toString('base64')}`);
      expect((await bad.request('GET', '/v2/library/app/manifests/v1')).status).toBe(401);
    });

    it('answers a path that is no registry endpoint with 404 UNSUPPORTED', async () => {
      const res = await oci.request('GET', '/v2/library/app/nonsense/v1');
      expect(res.status).toBe(404);
      expect(await errorCodes(res)).toEqual(['UNSUPPORTED']);
    });

    it('refuses a push into a project that does not exist', async () => {
      const res = await oci.request('POST', '/v2/nosuchproject/app/blobs/uploads/');
      expect(res.status).toBe(404);
      expect(await errorCodes(res)).toEqual(['NAME_UNKNOWN']);
    });
  });
});
