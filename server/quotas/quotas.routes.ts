import type Router from '@koa/router';
import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { idParam, requireSysadmin } from '../api/api-access.ts';
import type { Principal } from '../auth/principal.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseBody } from '../http/validate.ts';
import { presentQuota } from './quotas.presenter.ts';
import { quotaSortKeys } from './quotas.repo.ts';
import { validateQuotaUpdateReq } from './quotas.schema.ts';
import type { QuotaService } from './quotas.service.ts';

export interface QuotaRouteDeps {
  quotas: QuotaService;
}

/**
 * Harbor lets only system-level callers read quotas (administrators, and system robots granted `quota:read` on
 * every project); project members see their project's quota in `/projects/{p}/summary`. 401 for anonymous callers.
 */
function requireQuotaReader(ctx: Context): void {
  const p = ctx.state.principal as Principal;
  if (p.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'sign in first');
  if (p.kind === 'user' && p.sysadmin) return;
  if (p.kind === 'robot' && p.permissions.some((perm) => perm.namespace === '*' && perm.actions.has('quota:read'))) return;
  throw new BerthError('DENIED', 'only system administrators may read quotas; project members see theirs in the project summary');
}

function single(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw new BerthError('BAD_REQUEST', `${name} must be given once`);
  return v === '' ? undefined : v;
}

/** `sort` is one of Harbor's quota keys, `-` for descending. */
function readSort(ctx: Context): { key: string; order: 'asc' | 'desc' } | undefined {
  const raw = single(ctx, 'sort')?.trim();
  if (raw === undefined) return undefined;
  const key = raw.replace(/^[-+]/, '');
  if (!(key in quotaSortKeys)) throw new BerthError('BAD_REQUEST', `cannot sort quotas by "${key.slice(0, 50)}"; use ${Object.keys(quotaSortKeys).join(', ')} (prefix - for descending)`);
  return { key, order: raw.startsWith('-') ? 'desc' : 'asc' };
}

/** /api/v2.0/quotas: Harbor's project storage quotas. */
export function mountQuotaRoutes(router: Router, deps: QuotaRouteDeps): void {
  router.get('/quotas', async (ctx) => {
    requireQuotaReader(ctx);
    const page = readHarborPage(ctx);
    const reference = single(ctx, 'reference');
    if (reference !== undefined && reference !== 'project') throw new BerthError('BAD_REQUEST', `reference must be "project", the only kind of quota, not "${reference.slice(0, 50)}"`);
    const referenceId = single(ctx, 'reference_id');
    if (referenceId !== undefined && !/^\d{1,9}$/.test(referenceId)) throw new BerthError('BAD_REQUEST', 'reference_id must be a project id');
    const result = await deps.quotas.page({
      projectId: referenceId === undefined ? undefined : Number(referenceId),
      sort: readSort(ctx),
      offset: (page.page - 1) * page.pageSize,
      limit: page.pageSize,
    });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentQuota);
  });

  router.get('/quotas/:id', async (ctx) => {
    requireQuotaReader(ctx);
    ctx.body = presentQuota(await deps.quotas.get(idParam(ctx, 'id')));
  });

  router.put('/quotas/:id', async (ctx) => {
    const admin = requireSysadmin(ctx);
    const id = idParam(ctx, 'id');
    const body = await parseBody(ctx, validateQuotaUpdateReq);
    await deps.quotas.setHard(id, body.hard.storage, admin.username);
    ctx.status = 200;
  });
}
