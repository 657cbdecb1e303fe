import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { OciTestClient } from '../helpers/oci-client.ts';

describe('test server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => server?.stop());

  it('pushes and pulls an image by tag', async () => {
    const client = new OciTestClient(server.url, server.adminAuth);
    const image = await client.pushImage('library/smoke', 'v1');
    const res = await client.request('GET', '/v2/library/smoke/manifests/v1', { anonymous: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(image.manifest);
  });
});
