import type { Context, Middleware } from 'koa';
import { BerthError } from '../core/errors.ts';
import type { RepositoryAction } from '../auth/access.ts';
import type { Principal } from '../auth/principal.ts';
import { authenticate } from '../http/authenticate.ts';
import { renderError } from '../http/render-error.ts';
import { noteRefusal } from '../http/refusals.ts';
import { deleteBlob, getBlob } from './handlers/blobs.ts';
import { listCatalog, listReferrers, listTags } from './handlers/listings.ts';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.ts';
import { cancelUpload, completeUpload, patchUpload, startUpload, uploadStatus } from './handlers/uploads.ts';
import { parseRepositoryName } from './names.ts';
import type { RegistryDeps, RepoRequest } from './registry-deps.ts';
import { matchRegistryRoute, type RegistryRoute } from './route-match.ts';

type RepoRoute = Exclude<RegistryRoute, { kind: 'base' } | { kind: 'catalog' } | { kind: 'undecodable' }>;
interface Endpoint {
  action: RepositoryAction;
  handle(r: RepoRequest, route: RepoRoute): Promise<void>;
}

const item = (route: RepoRoute): string => ('reference' in route ? route.reference : 'digest' in route ? route.digest : 'id' in route ? route.id : '');

/** Every repository endpoint and the one permission it needs: no route exists without one. */
const endpoints: Record<RepoRoute['kind'], Record<string, Endpoint>> = {
  manifest: {
    GET: { action: 'pull', handle: (r, route) => getManifest(r, item(route)) },
    HEAD: { action: 'pull', handle: (r, route) => getManifest(r, item(route)) },
    PUT: { action: 'push', handle: (r, route) => putManifest(r, item(route)) },
    DELETE: { action: 'delete', handle: (r, route) => deleteManifest(r, item(route)) },
  },
  blob: {
    GET: { action: 'pull', handle: (r, route) => getBlob(r, item(route)) },
    HEAD: { action: 'pull', handle: (r, route) => getBlob(r, item(route)) },
    DELETE: { action: 'delete', handle: (r, route) => deleteBlob(r, item(route)) },
  },
  upload: {
    POST: { action: 'push', handle: (r, route) => (item(route) === '' ? startUpload(r) : Promise.reject(notAllowed(['GET', 'PATCH', 'PUT', 'DELETE']))) },
    GET: { action: 'push', handle: (r, route) => uploadStatus(r, item(route)) },
    PATCH: { action: 'push', handle: (r, route) => patchUpload(r, item(route)) },
    PUT: { action: 'push', handle: (r, route) => completeUpload(r, item(route)) },
    DELETE: { action: 'push', handle: (r, route) => cancelUpload(r, item(route)) },
  },
  tags: { GET: { action: 'pull', handle: (r) => listTags(r) } },
  referrers: { GET: { action: 'pull', handle: (r, route) => listReferrers(r, item(route)) } },
};

/** 405 with the Allow header RFC 9110 requires. */
const notAllowed = (allowed: string[]): BerthError =>
  new BerthError('METHOD_NOT_ALLOWED', `method not allowed; use ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') });

/**
 * The OCI Distribution API under /v2. Authenticates, finds the endpoint, checks the one permission it needs
 * against the repository's project, then hands over; every failure is rendered in the OCI error shape.
 */
export function registryRoutes(deps: RegistryDeps): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/v2' && !ctx.path.startsWith('/v2/')) return next();
    ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
    try {
      const principal = await authenticate(ctx, deps.basic, deps.tokens);
      ctx.state.principal = principal;
      await dispatch(ctx, principal, deps);
    } catch (err) {
      if (err instanceof BerthError && err.code === 'UNAUTHORIZED') ctx.set('WWW-Authenticate', challenge(ctx, deps));
      noteRefusal(ctx, err, deps.events);
      renderError(ctx, err, 'oci', deps.log);
    }
  };
}

/** Scope a client needs for each repository action, as Docker clients ask for it. */
const scopeActions: Record<RepositoryAction, string> = { pull: 'pull', push: 'pull,push', delete: '*' };

/**
 * The Bearer challenge pointing clients at the token service, with the scope the request needed (set by
 * dispatch) and `insufficient_scope` when a token lacked it. Basic credentials are accepted as well.
 */
function challenge(ctx: Context, deps: RegistryDeps): string {
  const base = deps.config.externalUrl || `${ctx.protocol}://${ctx.host.replace(/["\s,]/g, '')}`;
  const state = ctx.state as { challengeScope?: string; insufficientScope?: boolean };
  let header = `Bearer realm="${base}/service/token",service="${deps.tokens.service}"`;
  if (state.challengeScope) header += `,scope="${state.challengeScope}"`;
  if (state.insufficientScope) header += ',error="insufficient_scope"';
  return header;
}

async function dispatch(ctx: Context, principal: Principal, deps: RegistryDeps): Promise<void> {
  const route = matchRegistryRoute(ctx.path);
  if (!route) throw new BerthError('ROUTE_UNKNOWN', `no registry API endpoint at ${ctx.path.slice(0, 200)}`);
  if (route.kind === 'undecodable') throw new BerthError('NAME_INVALID', 'the path is not valid percent-encoding');
  if (route.kind === 'base') {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw notAllowed(['GET', 'HEAD']);
    // Clients probe /v2/ to learn how to authenticate, so anonymous callers get the challenge here.
    if (principal.kind === 'anonymous') throw new BerthError('UNAUTHORIZED');
    ctx.body = {};
    return;
  }
  if (route.kind === 'catalog') {
    if (ctx.method !== 'GET') throw notAllowed(['GET']);
    if (principal.kind === 'token' && !principal.catalog) {
      Object.assign(ctx.state, { challengeScope: 'registry:catalog:*', insufficientScope: true });
      throw new BerthError('UNAUTHORIZED', 'the token does not grant registry:catalog:*');
    }
    return listCatalog(ctx, principal, deps);
  }
  const endpoint = endpoints[route.kind][ctx.method];
  if (!endpoint) throw notAllowed(Object.keys(endpoints[route.kind]));
  const name = parseRepositoryName(route.name);
  ctx.state.challengeScope = `repository:${name.full}:${scopeActions[endpoint.action]}`;
  const project = await deps.projects.findByName(name.project);
  if (!project) {
    if (principal.kind === 'anonymous') throw new BerthError('UNAUTHORIZED');
    throw new BerthError('NAME_UNKNOWN', `project "${name.project}" does not exist; create it before pushing`, { name: name.full });
  }
  if (!(await deps.access.canRepository(principal, project, name.full, endpoint.action))) {
    if (principal.kind === 'anonymous') throw new BerthError('UNAUTHORIZED');
    if (principal.kind === 'token') {
      // The client should come back with a token for this scope; the token service grants it only if allowed.
      ctx.state.insufficientScope = true;
      throw new BerthError('UNAUTHORIZED', `the token does not grant ${endpoint.action} on ${name.full}`);
    }
    throw new BerthError('DENIED', `requested access to ${endpoint.action} ${name.full} is denied`);
  }
  await endpoint.handle({ ctx, name, project, principal, deps }, route);
}
