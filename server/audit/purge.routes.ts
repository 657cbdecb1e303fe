import type Router from '@koa/router';
import type { JSONSchemaType } from 'ajv';
import type { Knex } from 'knex';
import { requireSysadmin } from '../api/api-access.ts';
import { BerthError } from '../core/errors.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import { cronFor, harborScheduleSchema, presentSchedule } from '../jobs/harbor-schedule.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { harborJobStatus, jobLog } from '../jobs/jobs.presenter.ts';
import { jobsRepo, type JobRow } from '../jobs/jobs.repo.ts';
import { findJob } from '../jobs/jobs.routes.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { auditPurgeSchedule, auditPurgeType, type AuditPurgeParams } from './audit-purge.ts';

interface PurgeScheduleReq {
  schedule: { type: 'Hourly' | 'Daily' | 'Weekly' | 'Custom' | 'Manual' | 'None'; cron?: string };
  parameters?: { audit_retention_hour?: number; include_operations?: string; include_event_types?: string; dry_run?: boolean };
}

const validateScheduleReq = bodySchema<PurgeScheduleReq>({
  type: 'object',
  additionalProperties: true,
  required: ['schedule'],
  properties: {
    schedule: harborScheduleSchema,
    parameters: {
      type: 'object',
      nullable: true,
      additionalProperties: true,
      required: [],
      properties: {
        audit_retention_hour: { type: 'integer', minimum: 1, maximum: 876000, nullable: true },
        include_operations: { type: 'string', maxLength: 512, nullable: true },
        include_event_types: { type: 'string', maxLength: 512, nullable: true },
        dry_run: { type: 'boolean', nullable: true },
      },
    },
  },
} as unknown as JSONSchemaType<PurgeScheduleReq>);

function toParams(req: PurgeScheduleReq['parameters'], fallback: AuditPurgeParams): AuditPurgeParams {
  const ops = req?.include_operations ?? req?.include_event_types;
  const operations = ops ? ops.split(',').map((o) => o.trim().toLowerCase()).filter(Boolean) : fallback.operations;
  if (operations?.some((o) => !/^[a-z_]{1,32}$/.test(o))) throw new BerthError('BAD_REQUEST', 'include_operations is a comma-separated list such as create,delete,pull');
  return { retentionHours: req?.audit_retention_hour ?? fallback.retentionHours, operations, dryRun: req?.dry_run ?? false };
}

const harborParams = (p: AuditPurgeParams): Record<string, unknown> => ({
  audit_retention_hour: p.retentionHours,
  include_operations: (p.operations ?? []).join(','),
  dry_run: p.dryRun ?? false,
});

function presentExecution(j: JobRow): Record<string, unknown> {
  return {
    id: j.id,
    job_name: 'PURGE_AUDIT_LOG',
    job_kind: j.dedupe_key?.startsWith('schedule:') ? 'SCHEDULE' : 'MANUAL',
    job_parameters: JSON.stringify(harborParams(j.payload as AuditPurgeParams)),
    job_status: harborJobStatus[j.status],
    deleted: false,
    creation_time: new Date(j.created_at).toISOString(),
    update_time: new Date(j.updated_at).toISOString(),
  };
}

/** Harbor's `/system/purgeaudit` API over the audit purge job and its schedule (administrators only). */
export function mountPurgeRoutes(router: Router, deps: { db: Knex; jobs: JobQueue; scheduler: Scheduler }): void {
  router.get('/system/purgeaudit', async (ctx) => {
    requireSysadmin(ctx);
    const page = readHarborPage(ctx);
    const result = await jobsRepo.page(deps.db, { type: auditPurgeType, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentExecution);
  });

  router.get('/system/purgeaudit/schedule', async (ctx) => {
    requireSysadmin(ctx);
    const s = await deps.scheduler.get(auditPurgeSchedule);
    ctx.body = presentSchedule(s, 'PURGE_AUDIT_LOG', deps.scheduler.nextRun(auditPurgeSchedule), { parameters: harborParams(s.payload as AuditPurgeParams) });
  });

  // POST and PUT alike: `Manual` runs a purge now, `None` turns the schedule off, the others set its cron.
  for (const method of ['post', 'put'] as const) {
    router[method]('/system/purgeaudit/schedule', async (ctx) => {
      requireSysadmin(ctx);
      const body = await parseBody(ctx, validateScheduleReq);
      const current = await deps.scheduler.get(auditPurgeSchedule);
      const params = toParams(body.parameters, current.payload as AuditPurgeParams);
      if (body.schedule.type === 'Manual') {
        const { id } = await deps.jobs.enqueue(auditPurgeType, params);
        ctx.status = 201;
        ctx.set('Location', `/api/v2.0/system/purgeaudit/${id}`);
        return;
      }
      if (body.schedule.type === 'None') {
        await deps.scheduler.update(auditPurgeSchedule, { enabled: false, payload: params });
      } else {
        const cron = cronFor(body.schedule);
        await deps.scheduler.update(auditPurgeSchedule, { cron, enabled: true, payload: params });
      }
      ctx.status = method === 'post' ? 201 : 200;
    });
  }

  router.get('/system/purgeaudit/:job_id', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = presentExecution(await findJob(ctx, deps.db, auditPurgeType));
  });

  router.put('/system/purgeaudit/:job_id', async (ctx) => {
    requireSysadmin(ctx);
    const job = await findJob(ctx, deps.db, auditPurgeType);
    if (!(await jobsRepo.cancel(deps.db, job.id))) throw new BerthError('PRECONDITION', `purge ${job.id} is ${job.status}; only a waiting purge can be stopped`);
    ctx.status = 200;
  });

  router.get('/system/purgeaudit/:job_id/log', async (ctx) => {
    requireSysadmin(ctx);
    ctx.type = 'text/plain';
    ctx.body = jobLog(await findJob(ctx, deps.db, auditPurgeType));
  });
}
