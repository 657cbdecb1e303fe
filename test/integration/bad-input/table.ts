import { randomBytes } from 'node:crypto';
import { expect, vi } from 'vitest';
import { sendRaw, type RawRequest, type RawResponse } from '../../helpers/raw-http.ts';
import { createTestServer, type TestServer } from '../../helpers/test-server.ts';
import { OciTestClient, ociManifestType, sha256 } from '../../helpers/oci-client.ts';

/**
 * The machinery of the bad-input table (../bad-input.test.ts): the server and fixtures every row runs against, the
 * helpers rows build their requests with, the state rows leave for the checks after the table, and the check of one
 * row's answer. The rows themselves live beside this file, one module per subject.
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
export const ANY = specCodes;

export const repo = 'library/bad-input';
export const otherRepo = 'library/bad-input-other';
export const configType = 'application/vnd.oci.image.config.v1+json';
export const layerType = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Raw requests, with the credentials a row asks for

export interface TableRequest extends RawRequest {
  /** Whose credentials to send; admin by default. */
  auth?: 'admin' | 'none' | 'wrong-password' | 'unknown-user' | 'no-colon' | 'bearer';
}

export let server: TestServer;
export let client: OciTestClient;
/** What the server logged as a failure of its own (5xx) while the table ran. */
export const serverErrors: string[] = [];

function authHeader(kind: TableRequest['auth']): string | undefined {
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

/** Writes one request on its own connection and reads until the server closes it. */
function send(req: TableRequest): Promise<RawResponse> {
  const auth = authHeader(req.auth);
  return sendRaw(server.port, auth ? { ...req, headers: { ...req.headers, authorization: auth } } : req);
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
export let f: Fixtures;

/** Whatever a rejected request might have half-written; checked after the table. */
export const mustNotExist = { blobs: new Set<string>(), manifests: new Set<string>() };
/** Every upload session the server opened for this file (from its 202 answers); any other upload folder is a leftover. */
export const openedSessions = new Set<string>();
/** Upload sessions a row left in a known state: id -> the bytes it must still hold. */
export const sessionsToCheck = new Map<string, Buffer>();

export const uploads = (name: string, id = ''): string => `/v2/${name}/blobs/uploads/${id}`;
export const missing = (...digests: string[]): void => digests.forEach((d) => mustNotExist.blobs.add(d));
export const missingManifest = (...refs: string[]): void => refs.forEach((r) => mustNotExist.manifests.add(r));

export async function startSession(name = repo, initial?: Buffer): Promise<string> {
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

export const descriptor = (mediaType: string, data: Buffer): { mediaType: string; digest: string; size: number } => ({
  mediaType,
  digest: sha256(data),
  size: data.length,
});

/** A valid image manifest over the fixture blobs, with fields replaced or removed (undefined). */
export function imageManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
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

export function putManifest(reference: string, doc: unknown, contentType = ociManifestType): TableRequest {
  const body = Buffer.isBuffer(doc) ? doc : Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
  return { method: 'PUT', path: `/v2/${repo}/manifests/${reference}`, headers: { 'content-type': contentType }, body };
}

/** A manifest of exactly `size` bytes (padded through an annotation), otherwise valid. */
export function manifestOfSize(size: number): Buffer {
  const base = Buffer.from(JSON.stringify(imageManifest({ annotations: { pad: '' } })));
  const padded = imageManifest({ annotations: { pad: 'x'.repeat(size - base.length) } });
  const body = Buffer.from(JSON.stringify(padded));
  expect(body.length).toBe(size);
  return body;
}

export async function uploadRange(name: string, id: string): Promise<{ status: number; range: string | null }> {
  const res = await client.request('GET', uploads(name, id));
  return { status: res.status, range: res.headers.get('range') };
}

/** Polls until `check` passes: some clean-ups run after the server has already answered (or the client left). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
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

/** Starts the server, watches its error log and pushes the fixtures (the table's beforeAll). */
export async function setUpTable(): Promise<void> {
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
}

// ---------------------------------------------------------------------------------------------------------------
// The rows

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

export interface Row extends Expected {
  name: string;
  request: () => TableRequest | Promise<TableRequest>;
  /** Row-specific checks after the answer (state that must not have changed). */
  after?: (res: RawResponse) => Promise<void>;
}

export const unauthorized = { status: 401, code: 'UNAUTHORIZED', headers: { 'www-authenticate': /\S/ } } satisfies Expected;

/** Sends one row's request and checks the answer: status, headers, and the spec's shape of any error body. */
export async function checkRow(row: Row): Promise<void> {
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
}
