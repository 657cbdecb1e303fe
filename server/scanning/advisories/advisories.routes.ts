import type Router from '@koa/router';
import type { JSONSchemaType } from 'ajv';
import { requireSysadmin } from '../../api/api-access.ts';
import { bodySchema, parseBody } from '../../http/validate.ts';
import type { AdvisoriesService } from './advisories.service.ts';
import type { AdvisoryImportRow } from './advisories.repo.ts';

const validateImportReq = bodySchema<{ source?: string }>({
  type: 'object',
  additionalProperties: false,
  required: [],
  properties: { source: { type: 'string', minLength: 1, maxLength: 4096, nullable: true } },
} as unknown as JSONSchemaType<{ source?: string }>);

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

const presentImport = (r: AdvisoryImportRow) => ({
  id: Number(r.id),
  source: r.source,
  status: r.status,
  total: r.total,
  added: r.added,
  updated: r.updated,
  removed: r.removed,
  rejected: r.rejected,
  error: r.error,
  start_time: iso(r.started_at),
  end_time: iso(r.finished_at),
});

/**
 * Berth's advisory database (no Harbor counterpart: Harbor's scanners bring their own): its age and sources,
 * and imports on demand. System administrators only: sources name internal paths and mirrors.
 */
export function mountAdvisoryRoutes(router: Router, deps: { advisories: AdvisoriesService }): void {
  router.get('/scanning/advisories', async (ctx) => {
    requireSysadmin(ctx);
    const s = await deps.advisories.status();
    ctx.body = {
      total: s.total,
      newest_modified: iso(s.newestModified),
      updated_at: iso(s.lastChange),
      configured_sources: s.configuredSources,
      sources: s.bySource.map((b) => ({ source: b.source, advisories: b.count, last_import: b.lastImport ? presentImport(b.lastImport) : null })),
      ecosystems: s.ecosystems,
    };
  });

  router.get('/scanning/advisories/imports', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = (await deps.advisories.status()).recentImports.map(presentImport);
  });

  router.post('/scanning/advisories/imports', async (ctx) => {
    requireSysadmin(ctx);
    const body = await parseBody(ctx, validateImportReq, { emptyAs: {} });
    const id = await deps.advisories.requestImport(body.source);
    ctx.status = 202;
    if (id !== null) ctx.set('Location', `/api/v2.0/jobs/${id}`);
  });
}
