import type { Context } from 'koa';
import { requireDigest } from '../../core/digest.ts';
import type { Principal } from '../../auth/principal.ts';
import { readPage, setNextLink } from '../pagination.ts';
import type { RegistryDeps, RepoRequest } from '../registry-deps.ts';

/** GET /v2/<name>/tags/list?n=&last= */
export async function listTags(r: RepoRequest): Promise<void> {
  const page = readPage(r.ctx);
  const result = await r.deps.manifests.tags(r.name.full, page);
  if (result.more) setNextLink(r.ctx, `/v2/${r.name.full}/tags/list`, page.limit, result.tags[result.tags.length - 1]!);
  r.ctx.body = { name: result.name, tags: result.tags };
}

/** GET /v2/<name>/referrers/<digest>?artifactType= */
export async function listReferrers(r: RepoRequest, digest: string): Promise<void> {
  requireDigest(digest);
  const artifactType = typeof r.ctx.query.artifactType === 'string' ? r.ctx.query.artifactType : undefined;
  const index = await r.deps.manifests.referrers(r.name.full, digest, artifactType);
  if (artifactType) r.ctx.set('OCI-Filters-Applied', 'artifactType');
  r.ctx.set('Content-Type', 'application/vnd.oci.image.index.v1+json');
  r.ctx.body = JSON.stringify(index);
}

/** GET /v2/_catalog?n=&last= */
export async function listCatalog(ctx: Context, principal: Principal, deps: RegistryDeps): Promise<void> {
  const page = readPage(ctx);
  const result = await deps.catalog.page(principal, page);
  if (result.more) setNextLink(ctx, '/v2/_catalog', page.limit, result.repositories[result.repositories.length - 1]!);
  ctx.body = { repositories: result.repositories };
}
