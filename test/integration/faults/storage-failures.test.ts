import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageDriver } from '../../../server/storage/driver.ts';
import { createTestServer, type TestServer } from '../../helpers/test-server.ts';
import { OciTestClient, sha256 } from '../../helpers/oci-client.ts';
import { blobFilesOf, uploadIds } from '../storage-files.ts';
import { MiB, requestHead, waitFor } from './helpers.ts';

/**
 * Storage fails mid-operation (the disk fills up mid-write). The registry must never show a partial blob or a tag
 * it did not store, must tell the client clearly what went wrong (507), and must work again once there is space.
 */

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

/** Wraps a real file writer so that the disk "fills up": writes past `limit` bytes (or the final flush) fail. */
function fillingUp(real: Writable, opts: { limit?: number; failOnClose?: boolean }): Writable {
  let written = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (opts.limit !== undefined && written + chunk.length > opts.limit) {
        real.end(() => done(enospc()));
        return;
      }
      written += chunk.length;
      real.write(chunk, done);
    },
    final(done) {
      real.end(() => done(opts.failOnClose ? enospc() : null));
    },
    destroy(err, done) {
      if (!real.destroyed && !real.writableFinished) real.destroy();
      done(err);
    },
  });
}

describe('storage failing mid-operation (in-process)', () => {
  const repo = 'library/disk-full';
  let server: TestServer;
  let client: OciTestClient;
  let storage: StorageDriver;
  let restore: () => void;

  beforeAll(async () => {
    server = await createTestServer();
    client = new OciTestClient(server.url, server.adminAuth);
    storage = server.services.storage;
    const writer = storage.writer;
    const putContent = storage.putContent;
    restore = () => {
      storage.writer = writer;
      storage.putContent = putContent;
    };
  });
  afterAll(async () => server?.stop());

  function failWrites(opts: { limit?: number; failOnClose?: boolean }): void {
    const real = storage.writer.bind(storage);
    storage.writer = async (p, o) => fillingUp(await real(p, o), opts);
  }
  function failPutContent(): void {
    storage.putContent = async () => {
      throw enospc();
    };
  }

  /** Sends one raw request (so a reset connection is seen as such) and returns the status (0: no answer) and body. */
  function raw(method: string, target: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const all = Buffer.concat(received).toString('latin1');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0);
        resolve({ status, text: all.slice(all.indexOf('\r\n\r\n') + 4) });
      });
      socket.write(requestHead(method, target, server.port, { connection: 'close', 'content-length': String(body.length), ...headers }));
      socket.write(body);
    });
  }

  function expectStorageError(res: { status: number; text: string }): void {
    expect(res.status, `answered ${res.status || 'nothing (connection reset)'}: ${res.text.slice(0, 300)}`).toBe(507);
    const doc = JSON.parse(res.text) as { errors: Array<{ code: string; message: string }> };
    expect(doc.errors).toHaveLength(1);
    expect(doc.errors[0]!.message).toMatch(/storage/i);
    expect(doc.errors[0]!.message).not.toMatch(/request id/);
  }

  async function expectNoBlob(digest: string): Promise<void> {
    expect((await client.request('HEAD', `/v2/${repo}/blobs/${digest}`)).status).toBe(404);
    expect(await blobFilesOf(server.dataDir, digest)).toEqual([]);
  }

  const uploadFolders = (): Promise<string[]> => uploadIds(server.dataDir);

  /** Monolithic uploads are private to their request: once it is answered, no upload folder may remain. */
  async function expectNoUploadsLeft(): Promise<void> {
    await waitFor('upload folders to be cleaned up', async () => ((await uploadFolders()).length === 0 ? true : undefined), 3_000).catch(
      async () => expect(await uploadFolders()).toEqual([]),
    );
  }

  it.each([
    ['when the file is flushed', 256 * 1024, { failOnClose: true }],
    ['mid-body (a 507, not a reset connection)', 4 * MiB, { limit: MiB }],
  ] as const)('a monolithic push whose storage fills up %s gets 507 and leaves nothing', async (_when, size, failure) => {
    const data = randomBytes(size);
    failWrites(failure);
    try {
      expectStorageError(await raw('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, data));
    } finally {
      restore();
    }
    await expectNoBlob(sha256(data));
    await expectNoUploadsLeft();
  });

  it('a chunk whose storage fills up gets 507, and the upload keeps exactly the earlier chunks', async () => {
    const first = randomBytes(64 * 1024);
    const second = randomBytes(4 * MiB);
    const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
    const location = start.headers.get('location')!;
    const patch = await client.request('PATCH', location, {
      body: first,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${first.length - 1}` },
    });
    expect(patch.status).toBe(202);
    failWrites({ limit: MiB });
    let res;
    try {
      res = await raw('PATCH', location, second, { 'content-type': 'application/octet-stream', 'content-range': `${first.length}-${first.length + second.length - 1}` });
    } finally {
      restore();
    }
    // The upload is cut back to what was accepted before, whatever the client was told.
    await waitFor('the failed chunk to be undone', async () => {
      const status = await client.request('GET', location);
      return status.headers.get('range') === `0-${first.length - 1}` ? true : undefined;
    });
    const full = Buffer.concat([first, second]);
    await expectNoBlob(sha256(full));
    // With space again, the client resumes and finishes.
    const retry = await client.request('PATCH', location, {
      body: second,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${first.length}-${full.length - 1}` },
    });
    expect(retry.status).toBe(202);
    const done = await client.request('PUT', `${location}?digest=${sha256(full)}`);
    expect(done.status).toBe(201);
    const blob = await client.request('GET', `/v2/${repo}/blobs/${sha256(full)}`);
    expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(sha256(full));
    expectStorageError(res);
  });

  it('starting an upload when storage cannot write gets 507 and no session', async () => {
    const before = await uploadFolders();
    failPutContent();
    let res;
    try {
      res = await raw('POST', `/v2/${repo}/blobs/uploads/`, Buffer.alloc(0));
    } finally {
      restore();
    }
    expectStorageError(res);
    expect(await uploadFolders()).toEqual(before);
  });

  it('a manifest push needs no blob storage write: it succeeds while storage cannot write', async () => {
    const image = await client.pushImage(repo, 'base');
    const manifest = Buffer.from(JSON.stringify({ ...JSON.parse(image.manifest.toString()), annotations: { attempt: 'disk-full' } }));
    failPutContent();
    let res;
    try {
      res = await raw('PUT', `/v2/${repo}/manifests/disk-full`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    } finally {
      restore();
    }
    // The manifest is stored in the database in the same statement as its metadata.
    expect(res.status).toBe(201);
    expect(await blobFilesOf(server.dataDir, sha256(manifest))).toEqual([]);
    const get = await client.request('GET', `/v2/${repo}/manifests/disk-full`);
    expect(get.headers.get('docker-content-digest')).toBe(sha256(manifest));
    expect(Buffer.from(await get.arrayBuffer()).equals(manifest)).toBe(true);
  });

  it('after the failures, a full push and pull work', async () => {
    const image = await client.pushImage(repo, 'recovered', { layers: [randomBytes(MiB), randomBytes(1000)] });
    const res = await client.request('GET', `/v2/${repo}/manifests/recovered`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    for (const layer of image.layers) {
      const blob = await client.request('GET', `/v2/${repo}/blobs/${sha256(layer)}`);
      expect(Buffer.from(await blob.arrayBuffer()).equals(layer)).toBe(true);
    }
  });
});
