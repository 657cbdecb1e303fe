import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../server/db/database.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { OciTestClient, ociManifestType, sha256 } from '../helpers/oci-client.ts';
import { blobFilesOf, uploadDataFile, uploadIds } from './storage-files.ts';

/**
 * Several clients pushing the same content at the same moment, as parallel CI jobs building the same base image
 * do. Every push must succeed, and the registry must end up with exactly one copy of each piece: one blob file,
 * one blob row, one artifact, one tag.
 */

const clients = 8;
const configType = 'application/vnd.oci.image.config.v1+json';
const layerType = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Runs `count` copies of `task` at once (all started before any is awaited). */
function together<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => task(i)));
}

describe.each<DatabaseKind>(['pglite', 'postgres'])('concurrent pushes (%s)', (database) => {
  let server: TestServer;
  let pushers: OciTestClient[];

  beforeAll(async () => {
    server = await createTestServer({ database });
    pushers = Array.from({ length: clients }, () => new OciTestClient(server.url, server.adminAuth));
  });
  afterAll(async () => server?.stop());

  const knex = () => server.services.db.knex;
  const count = async (table: string, where: Record<string, unknown>): Promise<number> => {
    const [row] = await knex()(table).where(where).count<Array<{ count: string | number }>>('* as count');
    return Number(row!.count);
  };

  const blobFiles = (digest: string): Promise<string[]> => blobFilesOf(server.dataDir, digest);

  async function expectOneStoredBlob(repo: string, data: Buffer): Promise<void> {
    const digest = sha256(data);
    const files = await blobFiles(digest);
    expect(files.map((f) => path.relative(server.dataDir, f))).toEqual([path.join('storage', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7))]);
    expect((await readFile(files[0]!)).equals(data)).toBe(true);
    expect(await count('blobs', { digest })).toBe(1);
    expect(await count('repository_blobs', { repository_name: repo, digest })).toBe(1);
    const res = await pushers[0]!.request('GET', `/v2/${repo}/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(digest);
  }

  /** Every upload so far was finished: none of them may leave a folder behind. */
  async function expectNoUploadsLeft(): Promise<void> {
    expect(await uploadIds(server.dataDir)).toEqual([]);
  }

  async function pushBlobs(repo: string): Promise<{ config: Buffer; layer: Buffer }> {
    const layer = randomBytes(64 * 1024);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    await pushers[0]!.pushBlob(repo, layer);
    await pushers[0]!.pushBlob(repo, config);
    return { config, layer };
  }

  function manifestFor(blobs: { config: Buffer; layer: Buffer }, annotations?: Record<string, string>): Buffer {
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ociManifestType,
        config: { mediaType: configType, digest: sha256(blobs.config), size: blobs.config.length },
        layers: [{ mediaType: layerType, digest: sha256(blobs.layer), size: blobs.layer.length }],
        ...(annotations ? { annotations } : {}),
      }),
    );
  }

  async function artifactRows(repo: string, digest?: string): Promise<Array<{ id: number; digest: string }>> {
    const q = knex()('artifacts as a').join('repositories as r', 'r.id', 'a.repository_id').where('r.name', repo).select('a.id', 'a.digest');
    if (digest) q.where('a.digest', digest);
    return q;
  }

  async function tagRows(repo: string): Promise<Array<{ name: string; artifact_id: number; digest: string }>> {
    return knex()('tags as t')
      .join('repositories as r', 'r.id', 't.repository_id')
      .join('artifacts as a', 'a.id', 't.artifact_id')
      .where('r.name', repo)
      .orderBy('t.name')
      .select('t.name', 't.artifact_id', 'a.digest');
  }

  it(`${clients} clients pushing the same blob monolithically all get 201 and one copy is stored`, async () => {
    const repo = 'library/conc-mono';
    const data = randomBytes(2 * 1024 * 1024);
    const digest = sha256(data);
    const results = await together(clients, (i) =>
      pushers[i]!.request('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
        body: data,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    for (const res of results) {
      expect(res.status, await res.text()).toBe(201);
      expect(res.headers.get('docker-content-digest')).toBe(digest);
      expect(res.headers.get('location')).toBe(`/v2/${repo}/blobs/${digest}`);
    }
    await expectOneStoredBlob(repo, data);
    await expectNoUploadsLeft();
  });

  it(`${clients} clients pushing the same blob in chunks all get 201 and one copy is stored`, async () => {
    const repo = 'library/conc-chunked';
    const data = randomBytes(1024 * 1024 + 17);
    const digests = await together(clients, (i) => pushers[i]!.pushBlobChunked(repo, data, 128 * 1024));
    expect(new Set(digests)).toEqual(new Set([sha256(data)]));
    await expectOneStoredBlob(repo, data);
    await expectNoUploadsLeft();
  });

  it(`${clients} clients pushing the same blob into different repositories share one stored copy`, async () => {
    const data = randomBytes(512 * 1024);
    const digest = sha256(data);
    await together(clients, (i) => pushers[i]!.pushBlob(`library/conc-share-${i}`, data));
    expect(await blobFiles(digest)).toHaveLength(1);
    expect(await count('blobs', { digest })).toBe(1);
    expect(await count('repository_blobs', { digest })).toBe(clients);
    for (let i = 0; i < clients; i++) await expectOneStoredBlob(`library/conc-share-${i}`, data);
  });

  it(`${clients} clients pushing the same manifest to the same tag all get 201; one artifact, one tag`, async () => {
    const repo = 'library/conc-manifest';
    const blobs = await pushBlobs(repo);
    const manifest = manifestFor(blobs);
    const digest = sha256(manifest);
    const results = await together(clients, (i) => pushers[i]!.putManifest(repo, 'latest', manifest));
    for (const res of results) {
      expect(res.status, await res.text()).toBe(201);
      expect(res.headers.get('docker-content-digest')).toBe(digest);
    }
    expect(await artifactRows(repo)).toHaveLength(1);
    expect(await tagRows(repo)).toEqual([expect.objectContaining({ name: 'latest', digest })]);
    expect(await count('repositories', { name: repo })).toBe(1);
    // Manifests live in the database with their metadata, never as blob files.
    expect(await blobFiles(digest)).toHaveLength(0);

    const res = await pushers[3]!.request('GET', `/v2/${repo}/manifests/latest`, { headers: { accept: ociManifestType } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    expect(Buffer.from(await res.arrayBuffer()).equals(manifest)).toBe(true);
    const tags = (await (await pushers[0]!.request('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['latest']);
  });

  it(`${clients} clients tagging the same manifest with different tags at once: one artifact, ${clients} tags`, async () => {
    const repo = 'library/conc-tags';
    const blobs = await pushBlobs(repo);
    const manifest = manifestFor(blobs);
    const digest = sha256(manifest);
    const tagNames = Array.from({ length: clients }, (_, i) => `t${i}`);
    const results = await together(clients, (i) => pushers[i]!.putManifest(repo, tagNames[i]!, manifest));
    for (const res of results) expect(res.status, await res.text()).toBe(201);

    const artifacts = await artifactRows(repo);
    expect(artifacts).toHaveLength(1);
    const tags = await tagRows(repo);
    expect(tags.map((t) => t.name)).toEqual(tagNames);
    for (const t of tags) expect(t.artifact_id).toBe(artifacts[0]!.id);
    for (const tag of tagNames) {
      const res = await pushers[0]!.request('HEAD', `/v2/${repo}/manifests/${tag}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest')).toBe(digest);
    }
    const list = (await (await pushers[0]!.request('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    expect(list.tags).toEqual(tagNames);
  });

  it(`${clients} clients pushing different manifests to one tag: the tag ends on one of them, served as stored`, async () => {
    const repo = 'library/conc-race';
    const blobs = await pushBlobs(repo);
    const manifests = Array.from({ length: clients }, (_, i) => manifestFor(blobs, { build: String(i) }));
    const digests = manifests.map(sha256);
    // Warm the read path first, so a stale cached tag would show.
    await pushers[0]!.putManifest(repo, 'latest', manifestFor(blobs, { build: 'before' }));
    expect((await pushers[0]!.request('GET', `/v2/${repo}/manifests/latest`)).status).toBe(200);

    const results = await together(clients, (i) => pushers[i]!.putManifest(repo, 'latest', manifests[i]!));
    for (const res of results) expect(res.status, await res.text()).toBe(201);

    expect(await artifactRows(repo)).toHaveLength(clients + 1);
    const tags = await tagRows(repo);
    expect(tags).toHaveLength(1);
    expect(digests).toContain(tags[0]!.digest);
    // What the registry serves for the tag is what its database says the tag is.
    for (const method of ['GET', 'HEAD']) {
      const res = await pushers[0]!.request(method, `/v2/${repo}/manifests/latest`);
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest'), `${method} latest`).toBe(tags[0]!.digest);
    }
    const body = Buffer.from(await (await pushers[0]!.request('GET', `/v2/${repo}/manifests/latest`)).arrayBuffer());
    expect(sha256(body)).toBe(tags[0]!.digest);
  });

  it(`${clients} clients racing chunks into one upload session: exactly one chunk is accepted, whole`, async () => {
    const repo = 'library/conc-session';
    const start = await pushers[0]!.request('POST', `/v2/${repo}/blobs/uploads/`);
    expect(start.status).toBe(202);
    const location = start.headers.get('location')!;
    const id = location.split('/').pop()!;
    const chunkSize = 256 * 1024;
    const chunks = Array.from({ length: clients }, () => randomBytes(chunkSize));
    const results = await together(clients, (i) =>
      pushers[i]!.request('PATCH', location, {
        body: chunks[i],
        headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${chunkSize - 1}` },
      }),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([202, ...Array<number>(clients - 1).fill(416)]);

    const status = await pushers[0]!.request('GET', location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${chunkSize - 1}`);
    // The upload holds one client's chunk, not an interleaving of several.
    const stored = await readFile(uploadDataFile(server.dataDir, id, repo));
    const winner = chunks.findIndex((c) => c.equals(stored));
    expect(winner).toBeGreaterThanOrEqual(0);
    const done = await pushers[0]!.request('PUT', `${location}?digest=${sha256(chunks[winner]!)}`);
    expect(done.status).toBe(201);
    await expectOneStoredBlob(repo, chunks[winner]!);
  });
});
