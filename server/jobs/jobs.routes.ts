import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { idParam, requireSysadmin } from '../api/api-access.ts';
import { BerthError } from '../core/errors.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import type { JobQueue } from './job-queue.ts';
import { jobLog, presentJob } from './jobs.presenter.ts';
import { jobsRepo, type JobRow, type JobStatus } from './jobs.repo.ts';
import type { Scheduler } from './scheduler.ts';

const statuses: JobStatus[] = ['queued', 'running', 'succeeded', 'dead', 'cancelled'];

export interface JobRouteDeps {
  db: Knex;
  jobs: JobQueue;
  scheduler: Scheduler;
}

export async function findJob(ctx: Context, db: Knex, type?: string): Promise<JobRow> {
  const id = idParam(ctx, 'job_id');
  const job = await jobsRepo.find(db, id);
  if (!job || (type && job.type !== type)) throw new BerthError('NOT_FOUND', `job ${id} not found`);
  return job;
}

const validateStop = bodySchema<{ action: string }>({
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: { action: { type: 'string', enum: ['stop'] } },
});

/**
 * The job history, for administrators: Berth's `/jobs` (every job with its status, attempts, last error and
 * result; retry a dead job, cancel a waiting one), and Harbor's `/jobservice/queues`, `/jobservice/jobs/{id}` and
 * `/schedules` views of the same rows.
 */
export function mountJobRoutes(router: Router, deps: JobRouteDeps): void {
  router.get('/jobs', async (ctx) => {
    requireSysadmin(ctx);
    const page = readHarborPage(ctx);
    const { type, status } = ctx.query;
    if (type !== undefined && (typeof type !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(type))) throw new BerthError('BAD_REQUEST', 'type must be a job type name');
    if (status !== undefined && !statuses.includes(status as JobStatus)) throw new BerthError('BAD_REQUEST', `status must be one of ${statuses.join(', ')}`);
    const result = await jobsRepo.page(deps.db, { type: type as string | undefined, status: status as JobStatus | undefined, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentJob);
  });

  router.get('/jobs/:job_id', async (ctx) => {
    requireSysadmin(ctx);
    ctx.body = presentJob(await findJob(ctx, deps.db));
  });

  router.post('/jobs/:job_id/retry', async (ctx) => {
    requireSysadmin(ctx);
    const job = await findJob(ctx, deps.db);
    if (!(await jobsRepo.retry(deps.db, job.id))) throw new BerthError('PRECONDITION', `job ${job.id} is ${job.status}; only dead or cancelled jobs can be retried`);
    deps.jobs.kick();
    ctx.body = presentJob((await jobsRepo.find(deps.db, job.id))!);
  });

  router.post('/jobs/:job_id/cancel', async (ctx) => {
    requireSysadmin(ctx);
    const job = await findJob(ctx, deps.db);
    if (!(await jobsRepo.cancel(deps.db, job.id))) throw new BerthError('PRECONDITION', `job ${job.id} is ${job.status}; only queued jobs can be cancelled`);
    ctx.body = presentJob((await jobsRepo.find(deps.db, job.id))!);
  });

  router.get('/jobservice/queues', async (ctx) => {
    requireSysadmin(ctx);
    const waiting = new Map((await jobsRepo.queues(deps.db)).map((q) => [q.type, q]));
    const types = [...new Set([...deps.jobs.types, ...waiting.keys()])].sort();
    ctx.body = types.map((t) => ({ job_type: t, count: waiting.get(t)?.count ?? 0, latency: waiting.get(t)?.latency_seconds ?? 0, paused: false }));
  });

  router.get('/jobservice/jobs/:job_id/log', async (ctx) => {
    requireSysadmin(ctx);
    ctx.type = 'text/plain';
    ctx.body = jobLog(await findJob(ctx, deps.db));
  });

  router.put('/jobservice/jobs/:job_id', async (ctx) => {
    requireSysadmin(ctx);
    const job = await findJob(ctx, deps.db);
    await parseBody(ctx, validateStop);
    if (!(await jobsRepo.cancel(deps.db, job.id))) throw new BerthError('PRECONDITION', `job ${job.id} is ${job.status}; only queued jobs can be stopped`);
    ctx.status = 200;
  });

  router.get('/schedules', async (ctx) => {
    requireSysadmin(ctx);
    const page = readHarborPage(ctx);
    const all = await deps.scheduler.list();
    setPageHeaders(ctx, page, all.length);
    ctx.body = all.slice((page.page - 1) * page.pageSize, page.page * page.pageSize).map((s, i) => ({
      id: (page.page - 1) * page.pageSize + i + 1,
      vendor_type: s.name,
      vendor_id: 0,
      cron: s.cron,
      update_time: new Date(s.updated_at).toISOString(),
      job_type: s.job_type,
      enabled: s.enabled,
      next_scheduled_time: deps.scheduler.nextRun(s.name)?.toISOString() ?? null,
    }));
  });
}
