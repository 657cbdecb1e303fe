import { requireDigest } from '../../core/digest.ts';
import { parseRange } from '../../http/ranges.ts';
import { sendFile } from '../../http/send-file.ts';
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
  if (size === 0) {
    ctx.status = 200;
    ctx.body = Buffer.alloc(0);
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  ctx.status = range ? 206 : 200;
  if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
  // stat() above checked the repository may serve this digest; the bytes are shared content.
  const content = await r.deps.blobs.open(digest, range);
  ctx.length = end - start + 1;
  if ('file' in content) return sendFile(ctx, content.file, start, end, r.deps.readBuffers);
  ctx.body = content.stream;
  ctx.length = end - start + 1; // assigning a stream body clears the length Koa had
}

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from this repository. */
export async function deleteBlob(r: RepoRequest, digest: string): Promise<void> {
  await r.deps.blobs.unlink(r.name.full, digest);
  r.ctx.status = 202;
}
