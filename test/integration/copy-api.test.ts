import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { notationType, pushCosignSignature, pushIndex, pushReferrer } from '../helpers/artifact-fixtures.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, sha256, type PushedImage } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { listFiles, uploadIds } from './storage-files.ts';

describe.each(databaseKinds)('server-side copy on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  const events: DomainEvent[] = [];
  let image: PushedImage;
  let index: Awaited<ReturnType<typeof pushIndex>>;
  let signature: string;
  let referrer: string;
  const dev = basic('copy-dev', 'Copy-Passw0rd');

  const blobFiles = async () => (await listFiles(path.join(server.dataDir, 'storage', 'blobs'))).sort();
  const manifest = async (repo: string, ref: string) => {
    const res = await oci.request('GET', `/v2/${repo}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
    return { status: res.status, digest: res.headers.get('docker-content-digest'), body: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    server = await createTestServer({ database });
    server.services.events.on('*', (e) => void events.push(e));
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    await server.services.projects.ensure('target', false, null);
    await server.services.projects.ensure('closed', false, null);
    await server.services.users.createIfMissing('copy-dev', 'Copy-Passw0rd', false);
    const user = (await server.services.db.knex('users').where({ username: 'copy-dev' }).first<{ id: number }>('id'))!;
    await server.services.members.setUserRole((await server.services.projects.findByName('target'))!.id, user.id, 2);
    image = await oci.pushImage('library/src', 'v1', { layers: [Buffer.from('layer one'), Buffer.from('layer two')] });
    signature = await pushCosignSignature(oci, 'library/src', image.digest);
    referrer = await pushReferrer(oci, 'library/src', { digest: image.digest, size: image.manifest.length }, notationType);
    index = await pushIndex(oci, 'library/src', 'multi');
    await oci.pushImage('closed/secret', 'v1');
  });
  afterAll(async () => server?.stop());

  it('copies by tag into another project without moving blob bytes: same manifest, blobs linked, the tag applied', async () => {
    const filesBefore = await blobFiles();
    const res = await api('POST', '/projects/target/repositories/team%252Fcopy/artifacts?from=library/src:v1');
    expect(res.status, await res.clone().text()).toBe(201);
    expect(res.headers.get('location')).toBe('/api/v2.0/projects/target/repositories/team%252Fcopy/artifacts/v1');
    expect(await blobFiles()).toEqual(filesBefore);
    expect(await uploadIds(server.dataDir)).toEqual([]);
    const copied = await manifest('target/team/copy', 'v1');
    expect(copied.status).toBe(200);
    expect(copied.digest).toBe(image.digest);
    expect(copied.body.equals(image.manifest)).toBe(true);
    for (const blob of [image.config, ...image.layers]) {
      const got = await oci.request('GET', `/v2/target/team/copy/blobs/${sha256(blob)}`);
      expect(Buffer.from(await got.arrayBuffer()).equals(blob)).toBe(true);
    }
    const copiedEvent = events.find((e) => e.name === 'artifact.copied' && (e.data as { digest: string }).digest === image.digest);
    expect(copiedEvent?.data).toMatchObject({ repository: 'target/team/copy', projectName: 'target', tags: ['v1'], from: { repository: 'library/src', digest: image.digest } });
    expect(events.filter((e) => e.name === 'artifact.pushed' && (e.data as { repository: string }).repository === 'target/team/copy')).toEqual([]);
  });

  it('copies the accessories along: the cosign signature keeps its tag, the referrer its subject', async () => {
    const sig = await manifest('target/team/copy', `sha256-${image.digest.slice(7)}.sig`);
    expect(sig.digest).toBe(signature);
    expect((await manifest('target/team/copy', referrer)).status).toBe(200);
    const listed = (await (await api('GET', '/projects/target/repositories/team%252Fcopy/artifacts/v1')).json()) as { accessories: Array<{ digest: string; type: string }> };
    expect(listed.accessories.map((a) => a.type).sort()).toEqual(['signature.cosign', 'signature.notation']);
    const referrers = (await (await oci.request('GET', `/v2/target/team/copy/referrers/${image.digest}`)).json()) as { manifests: Array<{ digest: string }> };
    expect(referrers.manifests.map((m) => m.digest)).toEqual([referrer]);
  });

  it('copies an index by digest with its children first', async () => {
    const filesBefore = await blobFiles();
    const res = await api('POST', `/projects/target/repositories/multi/artifacts?from=library/src@${index.digest}`);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v2.0/projects/target/repositories/multi/artifacts/${index.digest}`);
    expect(await blobFiles()).toEqual(filesBefore);
    expect((await manifest('target/multi', index.digest)).digest).toBe(index.digest);
    for (const child of index.children) expect((await manifest('target/multi', child.digest)).status).toBe(200);
    // By digest: no tag is applied.
    expect(((await (await oci.request('GET', '/v2/target/multi/tags/list')).json()) as { tags: string[] }).tags).toEqual([]);
    const order = events.filter((e) => e.name === 'artifact.copied' && (e.data as { repository: string }).repository === 'target/multi').map((e) => (e.data as { digest: string }).digest);
    // The children (in any order) before the index that names them.
    expect(order).toHaveLength(3);
    expect(order.slice(0, 2).sort()).toEqual(index.children.map((c) => c.digest).sort());
    expect(order[2]).toBe(index.digest);
  });

  it('reads from=<repo>:<tag>@<digest> by its digest', async () => {
    const res = await api('POST', `/projects/target/repositories/pinned/artifacts?from=library/src:whatever@${image.digest}`);
    expect(res.status).toBe(201);
    expect((await manifest('target/pinned', image.digest)).status).toBe(200);
    // No tag of its own: only the signature's cosign tag came along.
    expect(((await (await oci.request('GET', '/v2/target/pinned/tags/list')).json()) as { tags: string[] }).tags).toEqual([`sha256-${image.digest.slice(7)}.sig`]);
  });

  it('copying again is harmless, and into the same repository', async () => {
    expect((await api('POST', '/projects/target/repositories/team%252Fcopy/artifacts?from=library/src:v1')).status).toBe(201);
    expect((await api('POST', '/projects/library/repositories/src/artifacts?from=library/src:v1')).status).toBe(201);
    expect((await manifest('library/src', 'v1')).digest).toBe(image.digest);
  });

  it('needs pull on the source and artifact:create on the target', async () => {
    // A Developer of target may create artifacts there and pull the public library.
    expect((await api('POST', '/projects/target/repositories/dev/artifacts?from=library/src:v1', undefined, dev)).status).toBe(201);
    const noSource = await api('POST', '/projects/target/repositories/dev/artifacts?from=closed/secret:v1', undefined, dev);
    expect(noSource.status).toBe(403);
    expect((await manifest('target/dev', 'v1')).digest).toBe(image.digest);
    const noTarget = await api('POST', '/projects/closed/repositories/x/artifacts?from=library/src:v1', undefined, dev);
    expect(noTarget.status).toBe(403);
    expect((await api('POST', '/projects/target/repositories/x/artifacts?from=library/src:v1', undefined, null)).status).toBe(401);
    expect((await manifest('closed/x', 'v1')).status).toBe(404);
  });

  it('refuses to copy an accessory on its own, and unknown sources', async () => {
    const accessory = await api('POST', `/projects/target/repositories/acc/artifacts?from=library/src@${signature}`);
    expect(accessory.status).toBe(403);
    expect(await apiErrorCode(accessory)).toBe('FORBIDDEN');
    expect((await api('POST', `/projects/target/repositories/acc/artifacts?from=library/src:sha256-${image.digest.slice(7)}.sig`)).status).toBe(403);
    expect((await api('POST', '/projects/target/repositories/acc/artifacts?from=library/src:nope')).status).toBe(404);
    expect((await api('POST', '/projects/target/repositories/acc/artifacts?from=library/nothing:v1')).status).toBe(404);
    expect((await api('POST', '/projects/target/repositories/acc/artifacts?from=nothing/src:v1')).status).toBe(404);
    expect((await api('POST', '/projects/nothing/repositories/acc/artifacts?from=library/src:v1')).status).toBe(404);
    expect((await api('GET', '/projects/target/repositories/acc')).status).toBe(404);
  });

  it('refuses a copy that cannot fit the target quota before writing anything, and lets it through once it fits', async () => {
    const cramped = await server.services.projects.ensure('cramped', false, null);
    const quota = await server.services.quotas.forProject(cramped.id);
    const [row] = await server.services.db.knex('quotas').where({ project_id: cramped.id }).select<Array<{ id: number }>>('id');
    // Room for the first child's blobs but not for the whole index with both children.
    await server.services.quotas.setHard(row!.id, 1500, 'admin');
    const res = await api('POST', '/projects/cramped/repositories/multi/artifacts?from=library/src:multi');
    expect(res.status).toBe(403);
    const error = ((await res.json()) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
    expect(error.code).toBe('DENIED');
    expect(error.message).toMatch(/quota/);
    expect((await server.services.quotas.forProject(cramped.id)).used).toBe(quota.used);
    const knex = server.services.db.knex;
    expect(await knex('repository_blobs').where({ project_id: cramped.id }).count<[{ count: string | number }]>('* as count').then((r) => Number(r[0]?.count))).toBe(0);
    expect(await knex('artifacts').where({ project_id: cramped.id }).count<[{ count: string | number }]>('* as count').then((r) => Number(r[0]?.count))).toBe(0);
    await server.services.quotas.setHard(row!.id, -1, 'admin');
    expect((await api('POST', '/projects/cramped/repositories/multi/artifacts?from=library/src:multi')).status).toBe(201);
  });
});
