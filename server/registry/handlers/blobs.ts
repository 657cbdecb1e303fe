import { requireDigest } from '../../core/digest.ts';
import { parseRange } from '../../http/ranges.ts';
import type { RepoRequest } from '../registry-deps.ts';

/** GET and HEAD /v2/<name>/blobs/<digest>, with single byte ranges answered 206. */
export async function getBlob(r: RepoRequest, digest: string): Promise<void> {
  requireDigest(digest);
  const { ctx } = r;
  const size = await r.deps.blobs.stat(r.name.full, digest);
  ctx.set('Docker-Content-Digest', digest);
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('ETag', `"${digest}"`);
  ctx.set('Content-Type', 'application/octet-stream');
  if (ctx.method === 'HEAD') {
    // Range applies to GET only; a HEAD describes the whole blob.
    ctx.status = 200;
    ctx.length = size;
    return;
  }
  const range = parseRange(ctx.get('range') || undefined, size);
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    ctx.body = await r.deps.blobs.open(r.name.full, digest, range);
    ctx.length = range.end - range.start + 1;
    return;
  }
  ctx.status = 200;
  ctx.body = size === 0 ? Buffer.alloc(0) : await r.deps.blobs.open(r.name.full, digest);
  ctx.length = size;
}

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from this repository. */
export async function deleteBlob(r: RepoRequest, digest: string): Promise<void> {
  await r.deps.blobs.unlink(r.name.full, digest);
  r.ctx.status = 202;
}
