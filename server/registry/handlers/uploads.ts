import type { Context } from 'koa';
import { actorOf } from '../../http/actor.ts';
import { BerthError } from '../../core/errors.ts';
import { contentLength, hasBody } from '../../http/body.ts';
import { parseContentRange } from '../../http/ranges.ts';
import type { UploadBody } from '../blob.service.ts';
import { parseRepositoryName } from '../names.ts';
import type { RepoRequest } from '../registry-deps.ts';

const uploadPath = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;
const blobPath = (name: string, digest: string): string => `/v2/${name}/blobs/${digest}`;

/** A query parameter given at most once; '' when present but empty, undefined when absent. */
function single(ctx: Context, key: string): string | undefined {
  const v = ctx.query[key];
  if (Array.isArray(v)) throw new BerthError('BLOB_UPLOAD_INVALID', `query parameter ${key} given more than once`);
  return v;
}

/** The request body with the offset and length the client declared; a Content-Range must agree with the length. */
function uploadBody(ctx: Context): UploadBody {
  const length = contentLength(ctx.req);
  const range = parseContentRange(ctx.get('content-range') || undefined);
  if (range && length !== undefined && range.end - range.start + 1 !== length) {
    throw new BerthError('BLOB_UPLOAD_INVALID', `Content-Range ${range.start}-${range.end} does not match Content-Length ${length}`);
  }
  return { stream: ctx.req, start: range?.start, length };
}

function answerUpload(ctx: Context, name: string, id: string, size: number, status: number): void {
  ctx.status = status;
  ctx.set('Location', uploadPath(name, id));
  ctx.set('Range', `0-${Math.max(size - 1, 0)}`);
  ctx.set('Docker-Upload-UUID', id);
  ctx.length = 0;
}

function answerBlob(ctx: Context, name: string, digest: string): void {
  ctx.status = 201;
  ctx.set('Location', blobPath(name, digest));
  ctx.set('Docker-Content-Digest', digest);
  ctx.length = 0;
}

/** POST /v2/<name>/blobs/uploads/: cross-repository mount, monolithic upload, or a new upload session. */
export async function startUpload(r: RepoRequest): Promise<void> {
  const { ctx } = r;
  const digest = single(ctx, 'digest');
  const mount = single(ctx, 'mount');
  const from = single(ctx, 'from');
  if (digest === '') throw new BerthError('DIGEST_INVALID', 'the digest query parameter is empty');
  if (mount && from && (await mayReadSource(r, from))) {
    if (await r.deps.blobs.mount(r.name.full, r.project, mount, from, actorOf(r.ctx))) return answerBlob(ctx, r.name.full, mount);
  }
  if (digest !== undefined && !mount) {
    await r.deps.blobs.putMonolithic(r.name.full, r.project, digest, uploadBody(ctx), actorOf(r.ctx));
    return answerBlob(ctx, r.name.full, digest);
  }
  const id = await r.deps.blobs.startUpload(r.name.full);
  answerUpload(ctx, r.name.full, id, 0, 202);
}

/** A mount reads the source repository: the caller must be allowed to pull from it, else it is a plain upload. */
async function mayReadSource(r: RepoRequest, from: string): Promise<boolean> {
  let source;
  try {
    source = parseRepositoryName(from);
  } catch {
    return false;
  }
  const project = await r.deps.projects.findByName(source.project);
  return project !== null && (await r.deps.access.canRepository(r.principal, project, source.full, 'pull'));
}

/** GET /v2/<name>/blobs/uploads/<id> */
export async function uploadStatus(r: RepoRequest, id: string): Promise<void> {
  const size = await r.deps.blobs.uploadStatus(r.name.full, id);
  answerUpload(r.ctx, r.name.full, id, size, 204);
}

/** PATCH /v2/<name>/blobs/uploads/<id> */
export async function patchUpload(r: RepoRequest, id: string): Promise<void> {
  const size = await r.deps.blobs.appendChunk(r.name.full, id, uploadBody(r.ctx));
  answerUpload(r.ctx, r.name.full, id, size, 202);
}

/** PUT /v2/<name>/blobs/uploads/<id>?digest=: the last chunk (optional) and the digest check. */
export async function completeUpload(r: RepoRequest, id: string): Promise<void> {
  const { ctx } = r;
  const digest = single(ctx, 'digest');
  if (!digest) throw new BerthError('DIGEST_INVALID', 'the digest query parameter is required to complete an upload');
  const body = hasBody(ctx.req) ? uploadBody(ctx) : undefined;
  await r.deps.blobs.completeUpload(r.name.full, r.project, id, digest, body, actorOf(r.ctx));
  answerBlob(ctx, r.name.full, digest);
}

/** DELETE /v2/<name>/blobs/uploads/<id> */
export async function cancelUpload(r: RepoRequest, id: string): Promise<void> {
  await r.deps.blobs.cancelUpload(r.name.full, id);
  r.ctx.status = 204;
}
