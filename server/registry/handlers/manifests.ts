import { actorOf } from '../../http/actor.ts';
import { readLimitedBody } from '../../http/body.ts';
import { parseReference } from '../names.ts';
import type { RepoRequest } from '../registry-deps.ts';

const manifestPath = (name: string, digest: string): string => `/v2/${name}/manifests/${digest}`;

/** GET and HEAD /v2/<name>/manifests/<reference> */
export async function getManifest(r: RepoRequest, reference: string): Promise<void> {
  const ref = parseReference(reference);
  const { ctx } = r;
  // HEAD needs no bytes, so it stops at the artifact (no manifest body lookup).
  const artifact = await r.deps.manifests.resolve(r.name.full, ref);
  const tag = ref.kind === 'tag' ? ref.tag : undefined;
  // Project settings that refuse unverified or vulnerable artifacts (costs nothing where neither is set).
  await r.deps.pullGuard?.check(r.project, r.name.full, artifact, r.principal, tag);
  // The bytes of the digest just checked, even if the tag moved meanwhile.
  const manifest = ctx.method === 'HEAD' ? artifact : await r.deps.manifests.get(r.name.full, { kind: 'digest', digest: artifact.digest }, { project: r.project, operator: actorOf(r.ctx), tag });
  ctx.status = 200;
  ctx.set('Content-Type', manifest.mediaType);
  ctx.set('Docker-Content-Digest', manifest.digest);
  ctx.set('ETag', `"${manifest.digest}"`);
  if ('body' in manifest) ctx.body = manifest.body;
  else ctx.length = manifest.size;
}

/** PUT /v2/<name>/manifests/<reference> */
export async function putManifest(r: RepoRequest, reference: string): Promise<void> {
  const ref = parseReference(reference);
  const { ctx } = r;
  const body = await readLimitedBody(ctx.req, r.deps.config.registry.maxManifestBytes);
  const pushed = await r.deps.manifests.put(r.name.full, r.project, ref, body, ctx.get('content-type') || undefined, actorOf(r.ctx));
  ctx.status = 201;
  ctx.set('Location', manifestPath(r.name.full, pushed.digest));
  ctx.set('Docker-Content-Digest', pushed.digest);
  if (pushed.subjectDigest) ctx.set('OCI-Subject', pushed.subjectDigest);
}

/** DELETE /v2/<name>/manifests/<reference>: by tag removes the tag only, by digest the artifact. */
export async function deleteManifest(r: RepoRequest, reference: string): Promise<void> {
  await r.deps.manifests.delete(r.name.full, r.project, parseReference(reference), actorOf(r.ctx));
  r.ctx.status = 202;
}
