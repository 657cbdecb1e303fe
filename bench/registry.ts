// Distribution-API operations used by the workloads. Every step checks the status
// code (and digest headers where the spec defines them) so a wrong answer fails
// the run instead of producing a flattering number.
import type { HttpConn, HttpResponse } from './http-client.ts';
import type { Blob, Image } from './data.ts';
import { OCI_MANIFEST } from './data.ts';
import type { Target } from './servers.ts';

export class BenchError extends Error {}

function expectStatus(r: HttpResponse, want: number[], what: string): void {
  if (!want.includes(r.status)) {
    const body = r.body.subarray(0, 300).toString('utf8');
    throw new BenchError(`${what}: expected HTTP ${want.join('/')}, got ${r.status} ${body}`);
  }
}

function expectDigest(r: HttpResponse, digest: string, what: string): void {
  const got = r.headers['docker-content-digest'];
  if (got !== undefined && got !== digest) throw new BenchError(`${what}: Docker-Content-Digest ${got}, expected ${digest}`);
}

/** Path+query of an upload Location (absolute or relative), refusing to leave our server. */
export function locationPath(t: Target, r: HttpResponse, what: string): string {
  const loc = r.headers['location'];
  if (!loc) throw new BenchError(`${what}: no Location header`);
  const u = new URL(loc, `http://127.0.0.1:${t.port}`);
  if (!['127.0.0.1', 'localhost'].includes(u.hostname) || Number(u.port) !== t.port) {
    throw new BenchError(`${what}: Location points off-target: ${loc}`);
  }
  return u.pathname + u.search;
}

function withDigest(p: string, digest: string): string {
  return `${p}${p.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

const BIG_TIMEOUT = 300_000;

export async function startUpload(c: HttpConn, t: Target): Promise<string> {
  const r = await c.request({ method: 'POST', path: `/v2/${t.repo}/blobs/uploads/`, headers: t.pushHeaders });
  expectStatus(r, [202], `POST upload (${t.label})`);
  return locationPath(t, r, 'POST upload');
}

/** POST, then PUT ?digest= with the whole body. */
export async function pushMonolithic(c: HttpConn, t: Target, b: Blob): Promise<void> {
  const loc = await startUpload(c, t);
  const r = await c.request({
    method: 'PUT', path: withDigest(loc, b.digest), body: b.data, timeoutMs: BIG_TIMEOUT,
    headers: { ...t.pushHeaders, 'content-type': 'application/octet-stream' },
  });
  expectStatus(r, [201], `PUT blob ${b.digest.slice(0, 19)} (${t.label})`);
  expectDigest(r, b.digest, 'PUT blob');
}

/** POST, PATCH chunks with Content-Range following Location, then PUT ?digest= with no body. */
export async function pushChunked(c: HttpConn, t: Target, b: Blob, chunk: number): Promise<void> {
  let loc = await startUpload(c, t);
  for (let off = 0; off < b.data.length; off += chunk) {
    const end = Math.min(b.data.length, off + chunk);
    const r = await c.request({
      method: 'PATCH', path: loc, body: b.data.subarray(off, end), timeoutMs: BIG_TIMEOUT,
      headers: { ...t.pushHeaders, 'content-type': 'application/octet-stream', 'content-range': `${off}-${end - 1}` },
    });
    expectStatus(r, [202], `PATCH ${off}-${end - 1} (${t.label})`);
    const range = r.headers['range'];
    if (range !== undefined && range !== `0-${end - 1}`) throw new BenchError(`PATCH: Range ${range}, expected 0-${end - 1}`);
    loc = locationPath(t, r, 'PATCH');
  }
  const r = await c.request({ method: 'PUT', path: withDigest(loc, b.digest), headers: t.pushHeaders });
  expectStatus(r, [201], `PUT (close chunked upload) (${t.label})`);
  expectDigest(r, b.digest, 'PUT chunked');
}

export async function blobExists(c: HttpConn, t: Target, digest: string): Promise<boolean> {
  const r = await c.request({ method: 'HEAD', path: `/v2/${t.repo}/blobs/${digest}`, headers: t.pullHeaders });
  expectStatus(r, [200, 404], `HEAD blob (${t.label})`);
  return r.status === 200;
}

/** GET a blob, handing bytes to onBody; returns byte count after checking status. */
export async function pullBlob(c: HttpConn, t: Target, digest: string, onBody: (b: Buffer) => void): Promise<number> {
  const r = await c.request({ method: 'GET', path: `/v2/${t.repo}/blobs/${digest}`, headers: t.pullHeaders, onBody, timeoutMs: BIG_TIMEOUT });
  expectStatus(r, [200], `GET blob (${t.label})`);
  return r.bytes;
}

export async function putManifest(c: HttpConn, t: Target, img: Image): Promise<void> {
  const r = await c.request({
    method: 'PUT', path: `/v2/${t.repo}/manifests/${img.tag}`, body: img.manifest.data,
    headers: { ...t.pushHeaders, 'content-type': OCI_MANIFEST },
  });
  expectStatus(r, [201], `PUT manifest ${img.tag} (${t.label})`);
  expectDigest(r, img.manifest.digest, `PUT manifest ${img.tag}`);
}

/** Layer and config (POST + PUT ?digest=), then the manifest by tag. */
export async function pushImage(c: HttpConn, t: Target, img: Image): Promise<void> {
  await pushMonolithic(c, t, img.layer);
  await pushMonolithic(c, t, img.config);
  await putManifest(c, t, img);
}

export { expectStatus, expectDigest };
