import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, ociManifestType, sha256 } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { blobFilesOf, uploadIds } from './storage-files.ts';

interface Quota {
  id: number;
  ref: { id: number; name: string; owner_name: string };
  hard: { storage: number };
  used: { storage: number };
  creation_time: string;
  update_time: string;
}

const defaultLimit = 1024 ** 3;

/**
 * /api/v2.0/quotas and quota enforcement through the registry API, on both databases: Harbor's Quota shape and
 * paging, limits from project creation and PUT, 403 DENIED naming requested and remaining bytes on every path that
 * stores bytes (monolithic and chunked uploads, mounts, manifests), usage unchanged by a refusal and restored by a
 * delete, and the quota events.
 */
describe.each(databaseKinds)('quotas on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  const events: DomainEvent[] = [];
  const dev = basic('qdev', 'Quota-Dev-Passw0rd');

  beforeAll(async () => {
    server = await createTestServer({ database, config: { quota: { defaultStorageLimit: defaultLimit, warningPercent: 85 } } });
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    await server.services.users.createIfMissing('qdev', 'Quota-Dev-Passw0rd', false);
    server.services.events.on('*', (e) => void events.push(e));
  });
  afterAll(async () => server?.stop());

  const json = async <T>(res: Response): Promise<T> => {
    expect(res.status, res.url).toBe(200);
    return (await res.json()) as T;
  };
  const quotaOf = async (project: string): Promise<Quota> => {
    const id = ((await json<{ project_id: number }>(await api('GET', `/projects/${project}`, undefined, undefined, { 'X-Is-Resource-Name': 'true' })))).project_id;
    const [quota] = await json<Quota[]>(await api('GET', `/quotas?reference=project&reference_id=${id}`));
    return quota!;
  };
  const createProject = async (name: string, body: Record<string, unknown> = {}, auth?: string): Promise<void> => {
    expect((await api('POST', '/projects', { project_name: name, ...body }, auth)).status).toBe(201);
  };
  const setHard = async (project: string, storage: number): Promise<void> => {
    expect((await api('PUT', `/quotas/${(await quotaOf(project)).id}`, { hard: { storage } })).status).toBe(200);
  };
  const eventsNamed = (name: string) => events.filter((e) => e.name === name);
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('gives every project a quota: the creator-chosen limit for administrators, the default otherwise', async () => {
    await createProject('qa-admin', { storage_limit: 5000 });
    await createProject('qa-dev', { storage_limit: 5000 }, dev);
    await createProject('qa-zero', { storage_limit: 0 });
    await createProject('qa-unlimited', { storage_limit: -1 });
    expect((await quotaOf('qa-admin')).hard.storage).toBe(5000);
    expect((await quotaOf('qa-dev')).hard.storage).toBe(defaultLimit);
    expect((await quotaOf('qa-zero')).hard.storage).toBe(defaultLimit);
    expect((await quotaOf('qa-unlimited')).hard.storage).toBe(-1);
    // Bootstrap's project too.
    expect((await quotaOf('library')).ref.name).toBe('library');
  });

  it("answers in Harbor's Quota shape", async () => {
    const quota = await quotaOf('qa-dev');
    expect(quota).toEqual({
      id: expect.any(Number),
      ref: { id: expect.any(Number), name: 'qa-dev', owner_name: 'qdev' },
      hard: { storage: defaultLimit },
      used: { storage: 0 },
      creation_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      update_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await json<Quota>(await api('GET', `/quotas/${quota.id}`))).toEqual(quota);
  });

  it('pages and sorts the list', async () => {
    const all = await api('GET', '/quotas?page_size=100');
    const total = Number(all.headers.get('x-total-count'));
    expect(total).toBeGreaterThanOrEqual(5);
    expect(await json<Quota[]>(all)).toHaveLength(total);
    const page = await api('GET', '/quotas?page=2&page_size=2&sort=creation_time');
    expect(page.headers.get('x-total-count')).toBe(String(total));
    expect(page.headers.get('link')).toContain('rel="prev"');
    expect(page.headers.get('link')).toContain('rel="next"');
    const ordered = (await json<Quota[]>(await api('GET', '/quotas?page_size=100&sort=creation_time'))).map((q) => q.id);
    expect((await json<Quota[]>(page)).map((q) => q.id)).toEqual(ordered.slice(2, 4));
    // Unlimited sorts as the largest limit, as in Harbor.
    const byHard = (await json<Quota[]>(await api('GET', '/quotas?page_size=100&sort=-hard.storage'))).map((q) => q.hard.storage);
    expect(byHard[0]).toBe(-1);
    expect(byHard.slice(byHard.lastIndexOf(-1) + 1)).toEqual([...byHard.slice(byHard.lastIndexOf(-1) + 1)].sort((a, b) => b - a));
    const byUsed = (await json<Quota[]>(await api('GET', '/quotas?page_size=100&sort=-used.storage'))).map((q) => q.used.storage);
    expect(byUsed).toEqual([...byUsed].sort((a, b) => b - a));
    // Newest first by default.
    expect((await json<Quota[]>(await api('GET', '/quotas?page_size=100'))).map((q) => q.id)).toEqual([...ordered].reverse());
  });

  it('changes a limit with PUT and emits quota.updated', async () => {
    const quota = await quotaOf('qa-admin');
    expect((await api('PUT', `/quotas/${quota.id}`, { hard: { storage: 7000 } })).status).toBe(200);
    expect((await quotaOf('qa-admin')).hard.storage).toBe(7000);
    await settle();
    expect(eventsNamed('quota.updated').at(-1)).toMatchObject({ operator: 'admin', data: { projectId: quota.ref.id, projectName: 'qa-admin', hard: 7000 } });
  });

  it('counts pushes to an unlimited project and keeps the count when a limit is set', async () => {
    await createProject('qa-later', { storage_limit: -1 });
    const image = await oci.pushImage('qa-later/app', 'v1', { layers: [randomBytes(1500)] });
    const size = 1500 + image.config.length + image.manifest.length;
    expect((await quotaOf('qa-later')).used.storage).toBe(size);
    await setHard('qa-later', size + 10);
    expect((await quotaOf('qa-later')).used).toEqual({ storage: size });
    const refused = await oci.request('POST', `/v2/qa-later/app/blobs/uploads/?digest=${sha256(Buffer.alloc(11))}`, { body: Buffer.alloc(11) });
    expect(refused.status).toBe(403);
    const quotas = await json<Quota[]>(await api('GET', '/quotas?page_size=100&sort=-used.storage'));
    expect(quotas.find((q) => q.ref.name === 'qa-later')?.used.storage).toBe(size);
  });

  it('shows the quota in the project summary', async () => {
    await oci.pushImage('qa-admin/app', 'v1', { layers: [randomBytes(1000)] });
    const summary = await json<{ quota: { hard: { storage: number }; used: { storage: number } } }>(await api('GET', '/projects/qa-admin/summary', undefined, undefined, { 'X-Is-Resource-Name': 'true' }));
    expect(summary.quota).toEqual({ hard: { storage: 7000 }, used: { storage: (await quotaOf('qa-admin')).used.storage } });
    expect(summary.quota.used.storage).toBeGreaterThan(1000);
  });

  it('refuses a monolithic upload over the quota before storing it, naming requested and remaining bytes', async () => {
    await createProject('qb-mono', { storage_limit: 4096 });
    const held = randomBytes(3000);
    await oci.pushBlob('qb-mono/app', held);
    const before = (await quotaOf('qb-mono')).used.storage;
    const data = randomBytes(2000);
    const res = await oci.request('POST', `/v2/qb-mono/app/blobs/uploads/?digest=${sha256(data)}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { errors: Array<{ code: string; message: string; detail: { requested: number; remaining: number } }> };
    expect(body.errors[0]).toMatchObject({ code: 'DENIED', detail: { requested: 2000, remaining: 4096 - before } });
    expect(body.errors[0]!.message).toContain('2000 bytes');
    expect(body.errors[0]!.message).toContain(`${4096 - before} bytes) remaining`);
    expect((await oci.request('HEAD', `/v2/qb-mono/app/blobs/${sha256(data)}`)).status).toBe(404);
    expect(await blobFilesOf(server.dataDir, sha256(data))).toEqual([]);
    expect((await quotaOf('qb-mono')).used.storage).toBe(before);
    await settle();
    expect(eventsNamed('quota.exceeded').at(-1)).toMatchObject({ operator: 'admin', data: { projectName: 'qb-mono', repository: 'qb-mono/app', digest: sha256(data), requested: 2000, used: before, hard: 4096 } });
    // A blob the project already holds costs nothing, so another repository may take it even now.
    await oci.pushBlob('qb-mono/other', held);
    expect((await quotaOf('qb-mono')).used.storage).toBe(before);
  });

  it('refuses a chunked upload over the quota at its closing PUT', async () => {
    await createProject('qb-chunk', { storage_limit: 4096 });
    const data = randomBytes(5000);
    let res = await oci.request('POST', '/v2/qb-chunk/app/blobs/uploads/');
    const location = res.headers.get('location')!;
    res = await oci.request('PATCH', location, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(202);
    res = await oci.request('PUT', `${location}?digest=${sha256(data)}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: Array<{ code: string; message: string }> }).errors[0]!.message).toMatch(/5000 bytes.*4096 bytes\) remaining/);
    expect((await quotaOf('qb-chunk')).used.storage).toBe(0);
    // Refused before it was published: no blob file, and the session is still there for the client to cancel.
    expect(await blobFilesOf(server.dataDir, sha256(data))).toEqual([]);
    const id = location.split('/').at(-1)!;
    expect(await uploadIds(server.dataDir)).toContain(id);
    expect((await oci.request('DELETE', location)).status).toBe(204);
  });

  it('refuses a cross-repository mount over the quota with 403 instead of falling back to an upload', async () => {
    await createProject('qb-src', { storage_limit: -1 });
    await createProject('qb-mount', { storage_limit: 1000 });
    const data = randomBytes(3000);
    const digest = await oci.pushBlob('qb-src/app', data);
    const res = await oci.request('POST', `/v2/qb-mount/app/blobs/uploads/?mount=${digest}&from=qb-src/app`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('DENIED');
    expect((await oci.request('HEAD', `/v2/qb-mount/app/blobs/${digest}`)).status).toBe(404);
    // Within the quota the mount is charged to the target project.
    await setHard('qb-mount', 10_000);
    expect((await oci.request('POST', `/v2/qb-mount/app/blobs/uploads/?mount=${digest}&from=qb-src/app`)).status).toBe(201);
    expect((await quotaOf('qb-mount')).used.storage).toBe(3000);
    expect((await quotaOf('qb-src')).used.storage).toBe(3000);
  });

  it('refuses a manifest over the quota and leaves usage unchanged; a delete returns usage to its old value', async () => {
    await createProject('qb-manifest', { storage_limit: 100_000 });
    const first = await oci.pushImage('qb-manifest/app', 'v1', { layers: [randomBytes(2000)] });
    const afterFirst = (await quotaOf('qb-manifest')).used.storage;
    expect(afterFirst).toBe(2000 + first.config.length + first.manifest.length);
    // The blobs of a second image fit; its manifest does not.
    const layer = randomBytes(1000);
    await oci.pushBlob('qb-manifest/app', layer);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    await oci.pushBlob('qb-manifest/app', config);
    const withBlobs = (await quotaOf('qb-manifest')).used.storage;
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ociManifestType,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
        annotations: { padding: 'x'.repeat(400) },
      }),
    );
    await setHard('qb-manifest', withBlobs + 100);
    const refused = await oci.putManifest('qb-manifest/app', 'v2', manifest);
    expect(refused.status).toBe(403);
    const message = ((await refused.json()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
    expect(message.code).toBe('DENIED');
    expect(message.message).toContain(`(${manifest.length} bytes)`);
    expect(message.message).toContain('(100 bytes) remaining');
    expect((await quotaOf('qb-manifest')).used.storage).toBe(withBlobs);
    expect((await oci.request('HEAD', '/v2/qb-manifest/app/manifests/v2')).status).toBe(404);
    // With room the same manifest goes through; deleting it returns usage to what it was after the first image.
    await setHard('qb-manifest', 100_000);
    expect((await oci.putManifest('qb-manifest/app', 'v2', manifest)).status).toBe(201);
    expect((await oci.request('DELETE', `/v2/qb-manifest/app/manifests/${sha256(manifest)}`)).status).toBe(202);
    expect((await quotaOf('qb-manifest')).used.storage).toBe(afterFirst);
    // A retag costs nothing.
    expect((await oci.putManifest('qb-manifest/app', 'again', first.manifest)).status).toBe(201);
    expect((await quotaOf('qb-manifest')).used.storage).toBe(afterFirst);
  });

  it('emits quota.warning once when usage crosses the warning line', async () => {
    await createProject('qb-warn', { storage_limit: 10_000 });
    const before = eventsNamed('quota.warning').length;
    await oci.pushBlob('qb-warn/app', randomBytes(8000));
    await settle();
    expect(eventsNamed('quota.warning')).toHaveLength(before);
    await oci.pushBlob('qb-warn/app', randomBytes(600));
    await settle();
    expect(eventsNamed('quota.warning')).toHaveLength(before + 1);
    expect(eventsNamed('quota.warning').at(-1)).toMatchObject({ data: { projectName: 'qb-warn', repository: 'qb-warn/app', used: 8600, hard: 10_000 } });
    await oci.pushBlob('qb-warn/app', randomBytes(600));
    await settle();
    expect(eventsNamed('quota.warning')).toHaveLength(before + 1);
  });

  it.each([
    ['a page of 0', 'GET', '/quotas?page=0', undefined, 400],
    ['an unknown reference type', 'GET', '/quotas?reference=repository', undefined, 400],
    ['a non-numeric reference id', 'GET', '/quotas?reference_id=abc', undefined, 400],
    ['a repeated reference id', 'GET', '/quotas?reference_id=1&reference_id=2', undefined, 400],
    ['an unknown sort key', 'GET', '/quotas?sort=hard.count', undefined, 400],
    ['a non-numeric id', 'GET', '/quotas/abc', undefined, 400],
    ['a negative id', 'GET', '/quotas/-1', undefined, 400],
    ['an id in exponent form', 'GET', '/quotas/1e3', undefined, 400],
    ['a body over 1 MiB', 'PUT', '/quotas/1', JSON.stringify({ hard: { storage: 10 }, pad: 'x'.repeat(2 * 1024 * 1024) }), 413],
    ['an unknown id', 'GET', '/quotas/999999', undefined, 404],
    ['malformed JSON', 'PUT', '/quotas/1', '{"hard":', 400],
    ['no hard limits', 'PUT', '/quotas/1', {}, 400],
    ['an empty hard list', 'PUT', '/quotas/1', { hard: {} }, 400],
    ['an unknown resource', 'PUT', '/quotas/1', { hard: { storage: 10, count: 5 } }, 400],
    ['a string limit', 'PUT', '/quotas/1', { hard: { storage: '10' } }, 400],
    ['a fractional limit', 'PUT', '/quotas/1', { hard: { storage: 1.5 } }, 400],
    ['a zero limit', 'PUT', '/quotas/1', { hard: { storage: 0 } }, 400],
    ['a limit below -1', 'PUT', '/quotas/1', { hard: { storage: -2 } }, 400],
    ['a limit past 2^53', 'PUT', '/quotas/1', { hard: { storage: 2 ** 60 } }, 400],
    ['an unknown field', 'PUT', '/quotas/1', { hard: { storage: 10 }, used: { storage: 0 } }, 400],
    ['an unknown quota', 'PUT', '/quotas/999999', { hard: { storage: 10 } }, 404],
    ['a string storage_limit', 'POST', '/projects', { project_name: 'qx1', storage_limit: 'big' }, 400],
    ['a storage_limit below -1', 'POST', '/projects', { project_name: 'qx2', storage_limit: -5 }, 400],
    ['a fractional storage_limit', 'POST', '/projects', { project_name: 'qx3', storage_limit: 2.5 }, 400],
  ])('answers %s with a Harbor error, not a 500', async (_name, method, path, body, status) => {
    const before = (await quotaOf('library')).hard.storage;
    const res = await api(method, path, body);
    expect(res.status).toBe(status);
    expect(await apiErrorCode(res)).toBe(status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST');
    expect((await quotaOf('library')).hard.storage).toBe(before);
  });
});
