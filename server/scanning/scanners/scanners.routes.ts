import type Router from '@koa/router';
import { requireSysadmin } from '../../api/api-access.ts';
import { readHarborPage, setPageHeaders } from '../../http/harbor-list.ts';
import { parseHarborQuery } from '../../http/harbor-query.ts';
import { parseBody } from '../../http/validate.ts';
import { authorizeProject, type ProjectRouteDeps } from '../../projects/projects.routes.ts';
import { presentScanner } from './scanners.presenter.ts';
import { validateIsDefault, validatePing, validateProjectScanner, validateRegistration } from './scanners.schema.ts';
import type { ScannersService } from './scanners.service.ts';

const idOf = (ctx: { params: unknown }): string => (ctx.params as Record<string, string>).registration_id ?? '';

/**
 * Harbor's `/scanners` (system administrators) and the project's scanner (`/projects/{p}/scanner`: members read
 * it, project administrators choose it).
 */
export function mountScannerRoutes(router: Router, deps: { scanners: ScannersService; project: ProjectRouteDeps }): void {
  router.get('/scanners', async (ctx) => {
    requireSysadmin(ctx);
    const terms = parseHarborQuery(ctx.query.q, ['name']);
    const page = readHarborPage(ctx);
    const name = terms[0] && (terms[0].op === 'exact' || terms[0].op === 'fuzzy') ? terms[0].value : undefined;
    const result = await deps.scanners.list({ ...(name ? { name } : {}), offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentScanner);
  });

  router.post('/scanners', async (ctx) => {
    requireSysadmin(ctx);
    const row = await deps.scanners.create(await parseBody(ctx, validateRegistration));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/scanners/${row.uuid}`);
  });

  router.post('/scanners/ping', async (ctx) => {
    requireSysadmin(ctx);
    await deps.scanners.ping(await parseBody(ctx, validatePing));
    ctx.status = 200;
  });

  router.get('/scanners/:registration_id', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = presentScanner(await deps.scanners.get(idOf(ctx)));
  });

  router.put('/scanners/:registration_id', async (ctx) => {
    requireSysadmin(ctx);
    await deps.scanners.update(idOf(ctx), await parseBody(ctx, validateRegistration));
    ctx.status = 200;
  });

  router.patch('/scanners/:registration_id', async (ctx) => {
    requireSysadmin(ctx);
    const body = await parseBody(ctx, validateIsDefault);
    // Harbor only sets a default here; `false` changes nothing (there is always exactly one default).
    if (body.is_default) await deps.scanners.setDefault(idOf(ctx));
    else await deps.scanners.get(idOf(ctx));
    ctx.status = 200;
  });

  router.delete('/scanners/:registration_id', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = presentScanner(await deps.scanners.remove(idOf(ctx)));
  });

  router.get('/scanners/:registration_id/metadata', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = await deps.scanners.metadata(idOf(ctx));
  });

  router.get('/projects/:project_name_or_id/scanner', async (ctx) => {
    const project = await authorizeProject(ctx, deps.project, 'scanner:read');
    const row = await deps.scanners.forProject(project.id);
    ctx.body = row ? presentScanner(row) : {};
  });

  router.put('/projects/:project_name_or_id/scanner', async (ctx) => {
    const project = await authorizeProject(ctx, deps.project, 'scanner:create');
    const body = await parseBody(ctx, validateProjectScanner);
    await deps.scanners.setForProject(project.id, body.uuid);
    ctx.status = 200;
  });

  router.get('/projects/:project_name_or_id/scanner/candidates', async (ctx) => {
    await authorizeProject(ctx, deps.project, 'scanner:create');
    const page = readHarborPage(ctx);
    const result = await deps.scanners.list({ enabledOnly: true, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentScanner);
  });
}
