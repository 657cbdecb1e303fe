import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciTestClient, sha256 } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

// A read buffer far smaller than the blob makes every download span many buffers of the pool.
const readBufferBytes = 16 * 1024;

describe('GET /v2/:name/blobs/:digest with pooled read buffers', () => {
  let server: TestServer;
  let oci: OciTestClient;
  const data = randomBytes(1024 * 1024 + 123);
  const digest = sha256(data);
  beforeAll(async () => {
    server = await createTestServer({ config: { registry: { readBufferBytes } } });
    oci = new OciTestClient(server.url, server.adminAuth);
    await oci.pushBlob('library/big', data);
  });
  afterAll(async () => server?.stop());

  it('streams a blob many buffers long intact, several downloads at once', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 6 }, async () => Buffer.from(await (await oci.request('GET', `/v2/library/big/blobs/${digest}`)).arrayBuffer())),
    );
    for (const body of bodies) expect(sha256(body)).toBe(digest);
  });

  it.each([
    ['a range inside one buffer', 5, 100],
    ['a range across buffer boundaries', readBufferBytes - 10, 3 * readBufferBytes + 7],
    ['the last byte', data.length - 1, data.length - 1],
  ])('serves %s', async (_name, start, end) => {
    const res = await oci.request('GET', `/v2/library/big/blobs/${digest}`, { headers: { range: `bytes=${start}-${end}` } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(start, end + 1))).toBe(true);
  });

  it('survives clients that hang up mid-download and keeps serving others', async () => {
    const url = new URL(server.url);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(`GET /v2/library/big/blobs/${digest} HTTP/1.1\r\nHost: x\r\nAuthorization: ${server.adminAuth}\r\n\r\n`);
        });
        let received = 0;
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 64 * 1024) socket.destroy();
        });
        socket.on('close', () => resolve());
      });
    }
    const res = await oci.request('GET', `/v2/library/big/blobs/${digest}`);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(digest);
  });
});
