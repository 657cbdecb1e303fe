import type Router from '@koa/router';
import type { JSONSchemaType } from 'ajv';
import { requireSysadmin } from '../api/api-access.ts';
import { artifactOf, type ArtifactRouteDeps } from '../artifacts/artifact-routes-deps.ts';
import { BerthError } from '../core/errors.ts';
import { actorOf } from '../http/actor.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import { cronFor, harborScheduleSchema, presentSchedule, type HarborScheduleType } from '../jobs/harbor-schedule.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import type { ReportStore } from './report-store.ts';
import type { ScanService } from './scan.service.ts';
import { scanAllSchedule } from './scanning.background.ts';

const base = '/projects/:project_name/repositories/:repository_name/artifacts/:reference';

const validateScanReq = bodySchema<{ scan_type?: string }>({
  type: 'object',
  additionalProperties: false,
  required: [],
  properties: { scan_type: { type: 'string', enum: ['vulnerability', 'sbom'], nullable: true } },
} as unknown as JSONSchemaType<{ scan_type?: string }>);

interface ScheduleReq {
  schedule: { type: HarborScheduleType; cron?: string };
}

const validateScheduleReq = bodySchema<ScheduleReq>({
  type: 'object',
  additionalProperties: true,
  required: ['schedule'],
  properties: { schedule: harborScheduleSchema },
} as unknown as JSONSchemaType<ScheduleReq>);

export interface ScanRouteDeps extends ArtifactRouteDeps {
  scans: ScanService;
  reports: ReportStore;
  scheduler: Scheduler;
}

/**
 * Harbor's scan endpoints: scan an artifact now (202: the scan is a job), stop it, read a scan's log; scan-all
 * with its schedule and metrics.
 */
export function mountScanRoutes(router: Router, deps: ScanRouteDeps): void {
  router.post(`${base}/scan`, async (ctx) => {
    const { project, repository, artifact } = await artifactOf(ctx, deps, 'scan:create');
    await parseBody(ctx, validateScanReq, { emptyAs: {} });
    const tag = (ctx.params as Record<string, string>).reference?.includes(':') ? undefined : (ctx.params as Record<string, string>).reference;
    await deps.scans.request({ project, repository: repository.name, artifact, ...(tag ? { tag } : {}) });
    ctx.status = 202;
  });

  router.post(`${base}/scan/stop`, async (ctx) => {
    const { project, repository, artifact } = await artifactOf(ctx, deps, 'scan:stop');
    await parseBody(ctx, validateScanReq, { emptyAs: {} });
    await deps.scans.stop({ project, repository: repository.name, artifact }, actorOf(ctx));
    ctx.status = 202;
  });

  router.get(`${base}/scan/:report_id/log`, async (ctx) => {
    const { artifact } = await artifactOf(ctx, deps, 'artifact:read');
    const raw = (ctx.params as Record<string, string>).report_id ?? '';
    const report = /^\d{1,15}$/.test(raw) ? await deps.reports.byId(Number(raw)) : undefined;
    if (!report || report.digest !== artifact.digest) throw new BerthError('NOT_FOUND', `no scan report ${raw.slice(0, 40)} for this artifact`);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = (await deps.reports.logOf(report.id)) || (report.error ?? '');
  });

  router.get('/system/scanAll/schedule', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = presentSchedule(await deps.scheduler.get(scanAllSchedule), 'SCAN_ALL', deps.scheduler.nextRun(scanAllSchedule), { blankCronWhenOff: true });
  });

  // POST and PUT alike, as Harbor has them: `Manual` scans everything now, `None` turns the schedule off.
  for (const method of ['post', 'put'] as const) {
    router[method]('/system/scanAll/schedule', async (ctx) => {
      requireSysadmin(ctx);
      const body = await parseBody(ctx, validateScheduleReq);
      if (body.schedule.type === 'Manual') {
        const id = await deps.scans.scanAll('manual');
        ctx.status = 201;
        if (id !== null) ctx.set('Location', `/api/v2.0/jobs/${id}`);
        return;
      }
      if (body.schedule.type === 'None') await deps.scheduler.update(scanAllSchedule, { enabled: false });
      else await deps.scheduler.update(scanAllSchedule, { cron: cronFor(body.schedule), enabled: true });
      ctx.status = method === 'post' ? 201 : 200;
    });
  }

  // Harbor's Stats: the progress of the last scan-all, manual or scheduled.
  for (const path of ['/scans/all/metrics', '/scans/schedule/metrics']) {
    router.get(path, async (ctx) => {
      requireSysadmin(ctx);
      ctx.body = await deps.scans.scanAllMetrics();
    });
  }
}
