import { randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { OciTestClient, ociIndexType, ociManifestType, sha256 } from '../helpers/oci-client.ts';

/**
 * Malformed, hostile and half-finished requests against /v2. Every request is written by hand over a socket
 * (node:net) so that nothing normalises it on the way: fetch would resolve `..` and `%2e%2e` in paths, refuse a
 * Content-Length that lies and never send a truncated body.
 */

// The error codes the OCI distribution spec allows in a 4xx JSON body ("The code field MUST be one of the following").
const specCodes = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
];
/** Any code of the spec's table: for errors whose code the spec leaves open (413, 416 ...). */
const ANY = specCodes;

const repo = 'library/bad-input';
const otherRepo = 'library/bad-input-other';
const configType = 'application/vnd.oci.image.config.v1+json';
const layerType = 'application/vnd.oci.image.layer.v1.tar+gzip';
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client

interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation, no encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Whose credentials to send; admin by default. */
  auth?: 'admin' | 'none' | 'wrong-password' | 'unknown-user' | 'no-colon' | 'bearer';
  /** Declare this Content-Length but send only `body`, then half-close the connection (a client that died). */
  declaredLength?: number;
  /** Send `body` as chunked transfer encoding; with `truncateChunked`, stop before the terminating chunk. */
  chunked?: boolean;
  truncateChunked?: boolean;
}

interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

let server: TestServer;
let client: OciTestClient;
/** What the server logged as a failure of its own (5xx) while the table ran. */
const serverErrors: string[] = [];

function authHeader(kind: RawRequest['auth']): string | undefined {
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  switch (kind ?? 'admin') {
    case 'admin':
      return server.adminAuth;
    case 'none':
      return undefined;
    case 'wrong-password':
      return basic('admin:not-the-password');
    case 'unknown-user':
      return basic('nobody-here:whatever');
    case 'no-colon':
      return basic('admin');
    case 'bearer':
      return 'Bearer abc.def.ghi';
  }
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString(), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseResponse(data: Buffer, method: string): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0) };
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] !== undefined ? `${headers[name]}, ${value}` : value;
  }
  let body = method === 'HEAD' ? Buffer.alloc(0) : data.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = decodeChunked(body);
  else if (headers['content-length'] !== undefined && method !== 'HEAD') body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body };
}

/** Writes one request on its own connection and reads until the server closes it. */
function send(req: RawRequest): Promise<RawResponse> {
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: Record<string, string> = { host: `127.0.0.1:${server.port}`, connection: 'close', ...req.headers };
  const auth = authHeader(req.auth);
  if (auth) headers.authorization = auth;
  if (req.chunked) headers['transfer-encoding'] = 'chunked';
  else if (req.declaredLength !== undefined) headers['content-length'] = String(req.declaredLength);
  else if (body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(req.method)) headers['content-length'] ??= String(body.length);
  const head = `${req.method} ${req.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  let payload: Buffer = body;
  if (req.chunked) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 64 * 1024) {
      const c = body.subarray(i, i + 64 * 1024);
      chunks.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    }
    if (!req.truncateChunked) chunks.push(Buffer.from('0\r\n\r\n'));
    payload = Buffer.concat(chunks);
  }
  const truncated = req.declaredLength !== undefined || req.truncateChunked === true;
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 15 s to ${req.method} ${req.path}`));
    }, 15_000);
    socket.on('data', (d: Buffer) => received.push(d));
    // The server may answer (413, 401 ...) and close before reading the whole body; what it said still counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(received), req.method));
    });
    socket.write(head);
    socket.write(payload, () => {
      if (truncated) socket.end();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

interface Fixtures {
  layer: Buffer;
  layerDigest: string;
  config: Buffer;
  configDigest: string;
  imageDigest: string;
  /** A blob that only `otherRepo` holds. */
  foreignBlob: Buffer;
  foreignDigest: string;
  /** An upload session that belongs to `otherRepo`. */
  otherSession: string;
}
let f: Fixtures;

/** Whatever a rejected request might have half-written; checked after the table. */
const mustNotExist = { blobs: new Set<string>(), manifests: new Set<string>() };
/** Every upload session the server opened for this file (from its 202 answers); any other upload folder is a leftover. */
const openedSessions = new Set<string>();
/** Upload sessions a row left in a known state: id -> the bytes it must still hold. */
const sessionsToCheck = new Map<string, Buffer>();

const uploads = (name: string, id = ''): string => `/v2/${name}/blobs/uploads/${id}`;
const missing = (...digests: string[]): void => digests.forEach((d) => mustNotExist.blobs.add(d));
const missingManifest = (...refs: string[]): void => refs.forEach((r) => mustNotExist.manifests.add(r));

async function startSession(name = repo, initial?: Buffer): Promise<string> {
  const res = await client.request('POST', uploads(name));
  expect(res.status).toBe(202);
  const id = res.headers.get('docker-upload-uuid') ?? res.headers.get('location')!.split('/').pop()!;
  openedSessions.add(id);
  if (initial) {
    const patch = await client.request('PATCH', uploads(name, id), {
      body: initial,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${initial.length - 1}` },
    });
    expect(patch.status).toBe(202);
  }
  return id;
}

const descriptor = (mediaType: string, data: Buffer): { mediaType: string; digest: string; size: number } => ({
  mediaType,
  digest: sha256(data),
  size: data.length,
});

/** A valid image manifest over the fixture blobs, with fields replaced or removed (undefined). */
function imageManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: ociManifestType,
    config: descriptor(configType, f.config),
    layers: [descriptor(layerType, f.layer)],
    ...overrides,
  };
  for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
  return doc;
}

function putManifest(reference: string, doc: unknown, contentType = ociManifestType): RawRequest {
  const body = Buffer.isBuffer(doc) ? doc : Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
  return { method: 'PUT', path: `/v2/${repo}/manifests/${reference}`, headers: { 'content-type': contentType }, body };
}

/** A manifest of exactly `size` bytes (padded through an annotation), otherwise valid. */
function manifestOfSize(size: number): Buffer {
  const base = Buffer.from(JSON.stringify(imageManifest({ annotations: { pad: '' } })));
  const padded = imageManifest({ annotations: { pad: 'x'.repeat(size - base.length) } });
  const body = Buffer.from(JSON.stringify(padded));
  expect(body.length).toBe(size);
  return body;
}

async function uploadRange(name: string, id: string): Promise<{ status: number; range: string | null }> {
  const res = await client.request('GET', uploads(name, id));
  return { status: res.status, range: res.headers.get('range') };
}

/** Polls until `check` passes: some clean-ups run after the server has already answered (or the client left). */
async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The table

interface Expected {
  /** One status or any of several; 0 stands for "connection closed without an answer". */
  status: number | number[];
  /**
   * The OCI error code (or any of several). `null` when the answer need not be an OCI error document: a success, or
   * the bare 400 Node's HTTP parser sends for a body that ended early.
   */
  code: string | string[] | null;
  /** Response headers that must be present (matching the pattern) or, with null, absent. */
  headers?: Record<string, RegExp | null>;
}

interface Row extends Expected {
  name: string;
  request: () => RawRequest | Promise<RawRequest>;
  /** Row-specific checks after the answer (state that must not have changed). */
  after?: (res: RawResponse) => Promise<void>;
}

const unauthorized = { status: 401, code: 'UNAUTHORIZED', headers: { 'www-authenticate': /\S/ } } satisfies Expected;

const rows: Row[] = [
  // --- digests -------------------------------------------------------------------------------------------------
  {
    name: 'monolithic POST whose digest does not match the body',
    request: () => {
      const body = randomBytes(2048);
      const claimed = sha256(randomBytes(16));
      missing(sha256(body), claimed);
      return { method: 'POST', path: `${uploads(repo)}?digest=${claimed}`, body, headers: { 'content-type': 'application/octet-stream' } };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a truncated digest (sha256:abc)',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=sha256:abc`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with an unsupported algorithm (md5)',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=md5:${'0'.repeat(32)}`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with an uppercase sha256 digest',
    request: () => {
      const body = randomBytes(512);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=sha256:${sha256(body).slice(7).toUpperCase()}`, body };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a sha256 digest of 65 hex characters',
    request: () => {
      const body = randomBytes(512);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(body)}0`, body };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a sha512 digest of sha256 length',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=sha512:${'a'.repeat(64)}`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a digest that has no algorithm',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=${'a'.repeat(64)}`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with an empty digest parameter and a body',
    request: () => {
      const body = randomBytes(512);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=`, body };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'closing PUT whose digest does not match the uploaded bytes',
    request: async () => {
      const data = randomBytes(1000);
      const claimed = sha256(randomBytes(16));
      missing(sha256(data), claimed);
      const id = await startSession(repo, data);
      return { method: 'PUT', path: `${uploads(repo, id)}?digest=${claimed}` };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'closing PUT without a digest parameter',
    request: async () => {
      const data = randomBytes(100);
      missing(sha256(data));
      return { method: 'PUT', path: uploads(repo, await startSession(repo, data)) };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'closing PUT with an md5 digest',
    request: async () => ({ method: 'PUT', path: `${uploads(repo, await startSession(repo, Buffer.from('abc')))}?digest=md5:${'0'.repeat(32)}` }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'GET of a blob by a malformed digest',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/sha256:not-hex` }),
    status: [400, 404],
    code: ['DIGEST_INVALID', 'BLOB_UNKNOWN'],
  },
  {
    name: 'GET of a manifest by a malformed digest',
    request: () => ({ method: 'GET', path: `/v2/${repo}/manifests/sha256:baddigeststring` }),
    status: [400, 404],
    code: ['DIGEST_INVALID', 'MANIFEST_INVALID', 'MANIFEST_UNKNOWN'],
  },
  {
    name: 'referrers of a malformed digest (spec: MUST be 400)',
    request: () => ({ method: 'GET', path: `/v2/${repo}/referrers/sha256:zz` }),
    status: 400,
    code: ANY,
  },

  // --- truncated bodies ----------------------------------------------------------------------------------------
  {
    name: 'monolithic POST whose body stops short of its Content-Length (client gone)',
    request: () => {
      const full = randomBytes(256 * 1024);
      missing(sha256(full));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(full)}`, body: full.subarray(0, 64 * 1024), declaredLength: full.length };
    },
    status: [400, 0],
    code: null,
  },
  {
    name: 'monolithic POST in chunked encoding cut off before the last chunk (client gone)',
    request: () => {
      const full = randomBytes(200 * 1024);
      missing(sha256(full));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(full)}`, body: full.subarray(0, 128 * 1024), chunked: true, truncateChunked: true };
    },
    status: [400, 0],
    code: null,
  },
  {
    name: 'PATCH whose chunk stops short of its Content-Length (client gone)',
    request: async () => {
      const data = randomBytes(1000);
      const id = await startSession(repo, data);
      sessionsToCheck.set(id, data);
      return {
        method: 'PATCH',
        path: uploads(repo, id),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `1000-${1000 + 200_000 - 1}` },
        body: randomBytes(50_000),
        declaredLength: 200_000,
      };
    },
    status: [400, 0],
    code: null,
  },
  {
    name: 'closing PUT whose final chunk stops short of its Content-Length (client gone)',
    request: async () => {
      const data = randomBytes(1000);
      const rest = randomBytes(3000);
      const full = Buffer.concat([data, rest]);
      missing(sha256(full));
      const id = await startSession(repo, data);
      sessionsToCheck.set(id, data);
      return { method: 'PUT', path: `${uploads(repo, id)}?digest=${sha256(full)}`, body: rest.subarray(0, 1000), declaredLength: 3000 };
    },
    status: [400, 0],
    code: null,
  },

  // --- Content-Range on PATCH and PUT --------------------------------------------------------------------------
  {
    name: 'PATCH with a malformed Content-Range',
    request: async () => ({
      method: 'PATCH',
      path: uploads(repo, await startSession()),
      headers: { 'content-range': 'zero-to-nine' },
      body: randomBytes(10),
    }),
    status: 400,
    code: 'BLOB_UPLOAD_INVALID',
  },
  {
    name: 'PATCH with a Content-Range that ends before it starts',
    request: async () => ({ method: 'PATCH', path: uploads(repo, await startSession()), headers: { 'content-range': '9-0' }, body: randomBytes(10) }),
    status: [400, 416],
    code: 'BLOB_UPLOAD_INVALID',
  },
  {
    name: 'PATCH with a Content-Range that disagrees with its Content-Length',
    request: async () => ({ method: 'PATCH', path: uploads(repo, await startSession()), headers: { 'content-range': '0-99' }, body: randomBytes(50) }),
    status: [400, 416],
    code: ['BLOB_UPLOAD_INVALID', 'SIZE_INVALID'],
  },
  {
    name: 'PATCH whose chunk starts past the end of the upload (out of order)',
    request: async () => {
      const first = randomBytes(10);
      const id = await startSession(repo, first);
      sessionsToCheck.set(id, first);
      return { method: 'PATCH', path: uploads(repo, id), headers: { 'content-range': '20-29' }, body: randomBytes(10) };
    },
    status: 416,
    code: ANY,
  },
  {
    name: 'PATCH that restarts at offset 0 after data was received (out of order)',
    request: async () => {
      const first = randomBytes(10);
      const id = await startSession(repo, first);
      sessionsToCheck.set(id, first);
      return { method: 'PATCH', path: uploads(repo, id), headers: { 'content-range': '0-9' }, body: randomBytes(10) };
    },
    status: 416,
    code: ANY,
  },
  {
    name: 'closing PUT with an out-of-order final chunk',
    request: async () => {
      const first = randomBytes(10);
      const id = await startSession(repo, first);
      sessionsToCheck.set(id, first);
      const last = randomBytes(10);
      missing(sha256(Buffer.concat([first, last])));
      return { method: 'PUT', path: `${uploads(repo, id)}?digest=${sha256(Buffer.concat([first, last]))}`, headers: { 'content-range': '20-29' }, body: last };
    },
    status: 416,
    code: ANY,
  },

  // --- Range on blob GET (RFC 9110 section 14) -----------------------------------------------------------------
  {
    name: 'GET of a blob with a range that starts past its end',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=5000-10000' } }),
    status: 416,
    code: ANY,
    headers: { 'content-range': /^bytes \*\/1024$/ },
  },
  {
    name: 'GET of a blob with a range whose last byte precedes its first',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=500-0' } }),
    status: 416,
    code: ANY,
  },
  {
    name: 'GET of a blob with a malformed byte range',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=ten-twenty' } }),
    // RFC 9110: an invalid bytes range SHOULD get 416, but a server MAY ignore Range and send the whole blob.
    status: [200, 416],
    code: null,
  },
  {
    name: 'GET of a blob with a range unit the server does not know (RFC 9110: MUST ignore)',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'items=0-5' } }),
    status: 200,
    code: null,
    headers: { 'content-length': /^1024$/ },
  },
  {
    name: 'HEAD of a blob with an unsatisfiable range (RFC 9110: Range is defined for GET only)',
    request: () => ({ method: 'HEAD', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=5000-10000' } }),
    status: 200,
    code: null,
    headers: { 'content-length': /^1024$/, 'docker-content-digest': /^sha256:/ },
  },

  // --- manifests -----------------------------------------------------------------------------------------------
  {
    name: 'manifest larger than 4 MiB with a declared Content-Length',
    request: () => {
      missingManifest('too-big');
      return putManifest('too-big', manifestOfSize(4 * MiB + 1));
    },
    status: 413,
    code: ANY,
  },
  {
    name: 'manifest larger than 4 MiB sent in chunked encoding (no declared length)',
    request: () => {
      missingManifest('too-big-chunked');
      return { ...putManifest('too-big-chunked', manifestOfSize(4 * MiB + 1)), chunked: true };
    },
    status: 413,
    code: ANY,
  },
  {
    name: 'manifest that is not JSON',
    request: () => {
      missingManifest('not-json');
      return putManifest('not-json', '{"schemaVersion": 2, "config": ');
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest with an empty body',
    request: () => putManifest('empty', ''),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest that is a JSON array',
    request: () => putManifest('array', '[]'),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'Docker schema 1 manifest',
    request: () => {
      missingManifest('schema1');
      return putManifest(
        'schema1',
        { schemaVersion: 1, name: repo, tag: 'schema1', architecture: 'amd64', fsLayers: [{ blobSum: f.layerDigest }], history: [{ v1Compatibility: '{}' }] },
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      );
    },
    status: [400, 415],
    code: 'UNSUPPORTED',
  },
  {
    name: 'schemaVersion 1 body sent as an OCI manifest',
    request: () => putManifest('schema1-oci', imageManifest({ schemaVersion: 1 })),
    status: [400, 415],
    code: 'UNSUPPORTED',
  },
  {
    name: 'manifest with schemaVersion 3',
    request: () => putManifest('schema3', imageManifest({ schemaVersion: 3 })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose mediaType differs from the Content-Type',
    request: () => {
      missingManifest('mismatch');
      return putManifest('mismatch', imageManifest(), ociIndexType);
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'image manifest without a config',
    request: () => {
      missingManifest('no-config');
      return putManifest('no-config', imageManifest({ config: undefined }));
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose config digest is malformed',
    request: () => putManifest('bad-config-digest', imageManifest({ config: { mediaType: configType, digest: 'sha256:1234', size: f.config.length } })),
    status: 400,
    code: ['MANIFEST_INVALID', 'DIGEST_INVALID'],
  },
  {
    name: 'manifest whose layer size is negative',
    request: () => putManifest('negative-size', imageManifest({ layers: [{ ...descriptor(layerType, f.layer), size: -1 }] })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose layer size is a string',
    request: () => putManifest('string-size', imageManifest({ layers: [{ ...descriptor(layerType, f.layer), size: '1024' }] })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose layers are not an array',
    request: () => putManifest('layers-object', imageManifest({ layers: descriptor(layerType, f.layer) })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose layer size disagrees with the stored blob',
    request: () => {
      missingManifest('wrong-size');
      return putManifest('wrong-size', imageManifest({ layers: [{ ...descriptor(layerType, f.layer), size: f.layer.length - 1 }] }));
    },
    status: 400,
    code: ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN'],
  },
  {
    name: 'manifest naming a layer unknown to the registry',
    request: () => {
      missingManifest('unknown-layer');
      return putManifest('unknown-layer', imageManifest({ layers: [descriptor(layerType, randomBytes(64))] }));
    },
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'manifest naming a config unknown to the registry',
    request: () => putManifest('unknown-config', imageManifest({ config: descriptor(configType, randomBytes(64)) })),
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'manifest naming a layer that only another repository holds',
    request: () => {
      missingManifest('foreign-layer');
      return putManifest('foreign-layer', imageManifest({ layers: [descriptor(layerType, f.foreignBlob)] }));
    },
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'index naming a manifest unknown to the repository',
    request: () => {
      missingManifest('unknown-child');
      const child = Buffer.from(JSON.stringify(imageManifest({ annotations: { never: 'pushed' } })));
      return putManifest(
        'unknown-child',
        { schemaVersion: 2, mediaType: ociIndexType, manifests: [{ ...descriptor(ociManifestType, child), platform: { architecture: 'amd64', os: 'linux' } }] },
        ociIndexType,
      );
    },
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'manifest of an unknown media type',
    request: () => {
      missingManifest('unknown-type');
      return putManifest('unknown-type', imageManifest({ mediaType: 'application/vnd.example.thing.v1+json' }), 'application/vnd.example.thing.v1+json');
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'PUT by digest whose body hashes to a different digest',
    request: () => {
      const body = Buffer.from(JSON.stringify(imageManifest({ annotations: { variant: randomUUID() } })));
      const claimed = sha256(Buffer.from(JSON.stringify(imageManifest({ annotations: { variant: 'other' } }))));
      missingManifest(claimed, sha256(body));
      return putManifest(claimed, body);
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'PUT by an md5 digest reference',
    request: () => putManifest(`md5:${'0'.repeat(32)}`, imageManifest()),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    // Control row: the spec requires accepting a subject that does not exist (yet).
    name: 'manifest whose subject is unknown is accepted (spec: MUST)',
    request: () => putManifest('with-unknown-subject', imageManifest({ subject: descriptor(ociManifestType, randomBytes(32)) })),
    status: 201,
    code: null,
  },
  {
    // Control row: the spec's registries SHOULD accept manifests of at least 4 MiB.
    name: 'manifest of exactly 4 MiB is accepted',
    request: () => putManifest('four-mib', manifestOfSize(4 * MiB)),
    status: 201,
    code: null,
  },

  // --- repository names ----------------------------------------------------------------------------------------
  ...(
    [
      ['GET', '/v2/../x/tags/list', '`../x`'],
      ['GET', '/v2/library/../x/manifests/latest', '`library/../x`'],
      ['GET', '/v2/%2e%2e/x/manifests/latest', '`%2e%2e/x`'],
      ['POST', '/v2/library/%2E%2E/blobs/uploads/', '`library/%2E%2E` (push)'],
      ['GET', '/v2/library/./x/tags/list', '`library/./x`'],
      ['GET', '/v2/library/Foo/tags/list', 'uppercase `library/Foo`'],
      ['POST', '/v2/library//x/blobs/uploads/', 'an empty component `library//x` (push)'],
      ['GET', '/v2/library/x//manifests/latest', 'a trailing slash `library/x/`'],
      ['GET', '/v2/foo/manifests/latest', 'a single component `foo`'],
      ['POST', '/v2/foo/blobs/uploads/', 'a single component `foo` (push)'],
      ['GET', '/v2/library/-x/tags/list', 'a component starting with a separator'],
      ['GET', '/v2/library/x./tags/list', 'a component ending with a separator'],
      ['GET', '/v2/library/x%zz/tags/list', 'broken percent-encoding'],
      ['GET', `/v2/library/${'a'.repeat(250)}/tags/list`, 'a name of 258 characters'],
    ] as const
  ).map(
    ([method, p, what]): Row => ({
      name: `${method} with the invalid repository name ${what}`,
      request: () => ({ method, path: p }),
      status: 400,
      code: 'NAME_INVALID',
    }),
  ),

  // --- tags ----------------------------------------------------------------------------------------------------
  ...(
    [
      ['-leading-dash', 'a leading dash'],
      ['.leading-dot', 'a leading dot'],
      ['v1+build', 'a plus sign'],
      ['t'.repeat(129), '129 characters'],
    ] as const
  ).map(
    ([tag, what]): Row => ({
      name: `PUT of a manifest under a tag with ${what}`,
      request: () => {
        missingManifest(encodeURIComponent(tag));
        return putManifest(encodeURIComponent(tag), imageManifest());
      },
      status: 400,
      code: ['MANIFEST_INVALID', 'NAME_INVALID'],
    }),
  ),
  {
    name: 'PUT of a manifest under a tag of exactly 128 characters is accepted',
    request: () => putManifest('T'.repeat(128), imageManifest()),
    status: 201,
    code: null,
  },

  // --- upload sessions -----------------------------------------------------------------------------------------
  {
    name: 'PATCH of an unknown upload id',
    request: () => ({ method: 'PATCH', path: uploads(repo, randomUUID()), body: randomBytes(10) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'closing PUT of an unknown upload id',
    request: () => ({ method: 'PUT', path: `${uploads(repo, randomUUID())}?digest=${f.layerDigest}` }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'GET status of an unknown upload id',
    request: () => ({ method: 'GET', path: uploads(repo, randomUUID()) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'DELETE of an unknown upload id',
    request: () => ({ method: 'DELETE', path: uploads(repo, randomUUID()) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'PATCH of an upload id that is not a UUID',
    request: () => ({ method: 'PATCH', path: uploads(repo, 'not-an-upload'), body: randomBytes(10) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'PATCH of an upload that was already completed',
    request: async () => {
      const data = randomBytes(100);
      const id = await startSession(repo, data);
      expect((await client.request('PUT', `${uploads(repo, id)}?digest=${sha256(data)}`)).status).toBe(201);
      return { method: 'PATCH', path: uploads(repo, id), body: randomBytes(10) };
    },
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'PATCH of an upload id that belongs to another repository',
    request: () => ({ method: 'PATCH', path: uploads(repo, f.otherSession), headers: { 'content-range': '0-9' }, body: randomBytes(10) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'closing PUT of an upload id that belongs to another repository',
    request: () => ({ method: 'PUT', path: `${uploads(repo, f.otherSession)}?digest=${sha256(Buffer.alloc(0))}` }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'DELETE of an upload id that belongs to another repository',
    request: () => ({ method: 'DELETE', path: uploads(repo, f.otherSession) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },

  // --- authentication and authorization ------------------------------------------------------------------------
  {
    name: 'unauthenticated push (POST of an upload)',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'none' }),
    ...unauthorized,
  },
  {
    name: 'unauthenticated monolithic push',
    request: () => {
      const body = randomBytes(100);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(body)}`, body, auth: 'none' };
    },
    ...unauthorized,
  },
  {
    name: 'unauthenticated manifest PUT',
    request: () => {
      missingManifest('anonymous');
      return { ...putManifest('anonymous', imageManifest()), auth: 'none' };
    },
    ...unauthorized,
  },
  {
    name: 'unauthenticated manifest DELETE',
    request: () => ({ method: 'DELETE', path: `/v2/${repo}/manifests/${f.imageDigest}`, auth: 'none' }),
    ...unauthorized,
  },
  {
    name: 'push with a wrong password',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'wrong-password' }),
    ...unauthorized,
  },
  {
    name: 'pull with a wrong password (no silent downgrade to anonymous)',
    request: () => ({ method: 'GET', path: `/v2/${repo}/manifests/v1`, auth: 'wrong-password' }),
    ...unauthorized,
  },
  {
    name: 'push as a user that does not exist',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'unknown-user' }),
    ...unauthorized,
  },
  {
    name: 'push with Basic credentials lacking a colon',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'no-colon' }),
    ...unauthorized,
  },
  {
    name: 'push with a bearer token the registry did not issue',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'bearer' }),
    ...unauthorized,
  },
  {
    name: 'push into a project that does not exist',
    request: () => ({ method: 'POST', path: uploads('no-such-project/app') }),
    status: [403, 404],
    code: ['NAME_UNKNOWN', 'DENIED'],
  },
  {
    name: 'manifest PUT into a project that does not exist',
    request: () => ({ ...putManifest('v1', imageManifest()), path: '/v2/no-such-project/app/manifests/v1' }),
    status: [403, 404],
    code: ['NAME_UNKNOWN', 'DENIED'],
  },

  // --- pagination ----------------------------------------------------------------------------------------------
  ...(['abc', '-1', '1.5', '0x10'] as const).map(
    (n): Row => ({
      name: `tag list with n=${n}`,
      request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=${n}` }),
      status: 400,
      code: ANY,
    }),
  ),
  {
    // Control row: any integer n is a valid request; the registry may answer fewer tags (spec, "Listing Tags").
    name: 'tag list with a huge n (99999999999) answers the tags',
    request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=99999999999` }),
    status: 200,
    code: null,
    after: async (res) => expect((JSON.parse(res.body.toString()) as { tags: string[] }).tags).toContain('v1'),
  },
  {
    name: 'tag list with n given twice',
    request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=1&n=2` }),
    status: 400,
    code: ANY,
  },
  {
    name: 'catalog with n=abc',
    request: () => ({ method: 'GET', path: '/v2/_catalog?n=abc' }),
    status: 400,
    code: ANY,
  },
  {
    // Control row: the spec says n=0 MUST give an empty list without a Link header.
    name: 'tag list with n=0 answers an empty list without a Link header',
    request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=0` }),
    status: 200,
    code: null,
    headers: { link: null },
    after: async (res) => expect(JSON.parse(res.body.toString())).toEqual({ name: repo, tags: [] }),
  },

  // --- methods -------------------------------------------------------------------------------------------------
  ...(
    [
      ['POST', 'a manifest', () => `/v2/${repo}/manifests/v1`],
      ['PATCH', 'a manifest', () => `/v2/${repo}/manifests/v1`],
      ['PUT', 'a blob', () => `/v2/${repo}/blobs/${f.layerDigest}`],
      ['POST', 'a blob', () => `/v2/${repo}/blobs/${f.layerDigest}`],
      ['POST', 'an upload session', () => uploads(repo, f.otherSession)],
      ['PUT', 'the tag list', () => `/v2/${repo}/tags/list`],
      ['DELETE', 'the tag list', () => `/v2/${repo}/tags/list`],
      ['POST', 'the catalog', () => '/v2/_catalog'],
      ['DELETE', '/v2/', () => '/v2/'],
    ] as const
  ).map(
    ([method, what, p]): Row => ({
      name: `unsupported method ${method} on ${what}`,
      request: () => ({ method, path: p() }),
      status: 405,
      code: 'UNSUPPORTED',
      // RFC 9110 section 15.5.6: a 405 MUST carry an Allow header listing the supported methods.
      headers: { allow: /\b(GET|HEAD|PUT|POST|PATCH|DELETE)\b/ },
    }),
  ),
];

// ---------------------------------------------------------------------------------------------------------------

describe('bad input on /v2', () => {
  beforeAll(async () => {
    server = await createTestServer();
    client = new OciTestClient(server.url, server.adminAuth);
    // A 5xx is rendered and logged at error level; a client that hung up never sees it, the log does.
    const log = server.services.log;
    const original = log.error.bind(log);
    vi.spyOn(log, 'error').mockImplementation(((obj: unknown, msg?: string) => {
      const o = obj as { err?: { message?: string; code?: string }; method?: string; path?: string };
      serverErrors.push(`${msg ?? ''} ${o?.method ?? ''} ${o?.path ?? ''}: ${o?.err?.code ?? ''} ${o?.err?.message ?? ''}`);
      return original(obj as object, msg);
    }) as typeof log.error);
    const layer = randomBytes(1024);
    const image = await client.pushImage(repo, 'v1', { layers: [layer] });
    const foreignBlob = randomBytes(512);
    await client.pushBlob(otherRepo, foreignBlob);
    f = {
      layer,
      layerDigest: sha256(layer),
      config: image.config,
      configDigest: sha256(image.config),
      imageDigest: image.digest,
      foreignBlob,
      foreignDigest: sha256(foreignBlob),
      otherSession: await startSession(otherRepo),
    };
  });
  afterAll(async () => server?.stop());

  it.each(rows)('$name', async (row) => {
    const res = await send(await row.request());
    if (res.status === 202 && res.headers['docker-upload-uuid']) openedSessions.add(res.headers['docker-upload-uuid']);
    const text = res.body.toString('utf8');
    const statuses = Array.isArray(row.status) ? row.status : [row.status];
    expect(statuses, `answered ${res.status}: ${text.slice(0, 300)}`).toContain(res.status);
    expect(res.status, 'no request may cause a server error').toBeLessThan(500);

    for (const [name, pattern] of Object.entries(row.headers ?? {})) {
      if (pattern === null) expect(res.headers[name], `header ${name}`).toBeUndefined();
      else expect(res.headers[name] ?? '(absent)', `header ${name}`).toMatch(pattern);
    }

    const isJson = res.headers['content-type']?.startsWith('application/json') ?? false;
    if (row.code !== null || (res.status >= 400 && isJson)) {
      // Every JSON error body has the spec's shape, with codes from the spec's table.
      expect(isJson, `content-type ${res.headers['content-type']} of ${text.slice(0, 200)}`).toBe(true);
      const doc = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
      expect(Array.isArray(doc.errors) && doc.errors.length > 0, `error body: ${text}`).toBe(true);
      for (const e of doc.errors!) {
        expect(typeof e.code).toBe('string');
        expect(specCodes, `"${String(e.code)}" is not a code of the OCI spec's table`).toContain(e.code);
        if (e.message !== undefined) expect(typeof e.message).toBe('string');
      }
      if (row.code !== null) {
        const codes = Array.isArray(row.code) ? row.code : [row.code];
        expect(codes, `error code of ${text}`).toContain(doc.errors![0]!.code);
      }
    }
    await row.after?.(res);
  });

  describe('after the table, nothing half-written is visible', () => {
    it('no rejected blob can be found, by HEAD or in storage', async () => {
      expect(mustNotExist.blobs.size).toBeGreaterThan(5);
      const blobFiles = new Set(await listFiles(path.join(server.dataDir, 'storage', 'blobs')));
      for (const digest of mustNotExist.blobs) {
        const res = await client.request('HEAD', `/v2/${repo}/blobs/${digest}`);
        expect(res.status, `HEAD ${digest}`).toBe(404);
        expect([...blobFiles].some((file) => file.includes(digest.slice(7))), `blob file for ${digest}`).toBe(false);
        const rows = await server.services.db.knex('blobs').where({ digest }).count<Array<{ count: string | number }>>('* as count');
        expect(Number(rows[0]!.count), `blobs row for ${digest}`).toBe(0);
      }
    });

    it('no rejected manifest resolves, by tag or by digest', async () => {
      expect(mustNotExist.manifests.size).toBeGreaterThan(5);
      for (const ref of mustNotExist.manifests) {
        const res = await client.request('HEAD', `/v2/${repo}/manifests/${ref}`);
        expect([400, 404], `HEAD manifest ${ref}`).toContain(res.status);
        const get = await client.request('GET', `/v2/${repo}/manifests/${ref}`);
        expect([400, 404], `GET manifest ${ref}`).toContain(get.status);
      }
      const tags = (await (await client.request('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      for (const ref of mustNotExist.manifests) expect(tags.tags).not.toContain(decodeURIComponent(ref));
      // The control rows did land, so the list is not empty by accident.
      expect(tags.tags).toEqual(expect.arrayContaining(['v1', 'with-unknown-subject', 'four-mib', 'T'.repeat(128)]));
    });

    it('the uploads folder holds only live upload sessions (no leftovers of monolithic pushes)', async () => {
      await eventually(async () => {
        const folders = await readdir(path.join(server.dataDir, 'storage', 'uploads')).catch(() => [] as string[]);
        expect(folders.filter((id) => !openedSessions.has(id))).toEqual([]);
      });
    });

    it('upload sessions hit by bad chunks still hold exactly what was accepted, and can be finished', async () => {
      expect(sessionsToCheck.size).toBeGreaterThanOrEqual(5);
      for (const [id, accepted] of sessionsToCheck) {
        await eventually(async () => {
          const { status, range } = await uploadRange(repo, id);
          expect(status, `GET upload ${id}`).toBe(204);
          expect(range, `Range of upload ${id}`).toBe(`0-${accepted.length - 1}`);
        });
        // Finishing the session gives exactly the accepted bytes plus the rest: nothing of the bad chunk stayed.
        const rest = randomBytes(500);
        const full = Buffer.concat([accepted, rest]);
        const patch = await client.request('PATCH', uploads(repo, id), {
          body: rest,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${accepted.length}-${full.length - 1}` },
        });
        expect(patch.status, `PATCH after the bad chunk on ${id}`).toBe(202);
        const put = await client.request('PUT', `${uploads(repo, id)}?digest=${sha256(full)}`);
        expect(put.status, `closing PUT on ${id}`).toBe(201);
        const blob = await client.request('GET', `/v2/${repo}/blobs/${sha256(full)}`);
        expect(Buffer.from(await blob.arrayBuffer()).equals(full)).toBe(true);
      }
    });

    it('an upload id from another repository was not touched by the foreign requests', async () => {
      const { status, range } = await uploadRange(otherRepo, f.otherSession);
      expect(status).toBe(204);
      expect(range).toBe('0-0');
      const data = randomBytes(300);
      const put = await client.request('PUT', `${uploads(otherRepo, f.otherSession)}?digest=${sha256(data)}`, {
        body: data,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.status).toBe(201);
    });

    it('no request of the table was a server failure, not even those whose client hung up mid-body', async () => {
      // Give aborted requests time to unwind: their handlers finish after the socket is gone.
      await new Promise((r) => setTimeout(r, 300));
      expect(serverErrors).toEqual([]);
    });

    it('the fixture image is intact', async () => {
      const res = await client.request('GET', `/v2/${repo}/manifests/v1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest')).toBe(f.imageDigest);
      const blob = await client.request('GET', `/v2/${repo}/blobs/${f.layerDigest}`);
      expect(Buffer.from(await blob.arrayBuffer())).toEqual(f.layer);
    });
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}
