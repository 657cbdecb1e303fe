import { artifactsRepo } from '../artifacts/artifacts.repo.ts';
import type { Services } from '../services.ts';
import { scanJobType, scanAllJobType, type ScanJobPayload, type ScanTrigger } from './scan.service.ts';
import { runScanJob } from './scan.job.ts';
import { isScannable } from './scannable.ts';
import { advisoryRefreshType } from './advisories/advisories.service.ts';

export const advisoryRefreshSchedule = 'advisory-refresh';
export const scanAllSchedule = 'scan-all';

/**
 * Scanning's background work: the scan job, scan-all, the advisory refresh (each a durable job), their schedules,
 * scan on push for projects with `auto_scan`, and rescans when the advisory database changes (when configured).
 */
export async function registerScanning(services: Services): Promise<void> {
  const { config, db, jobs, events, scheduler, log } = services;
  const knex = db.knex;
  await services.scanners.ensureBuiltin();

  jobs.define<ScanJobPayload>(scanJobType, {
    // Scans are CPU-bound (decompression, parsing): one at a time per process keeps the registry responsive.
    concurrency: 1,
    timeoutMs: config.scanning.timeoutSeconds * 1000,
    retry: { maxAttempts: config.scanning.maxAttempts, initialDelayMs: 5_000, maxDelayMs: 5 * 60_000 },
    handle: (job) =>
      runScanJob(
        {
          db: knex,
          reports: services.reports,
          scanners: services.scanners,
          scans: services.scans,
          sboms: services.sboms,
          configs: services.artifactConfigs,
          events,
          log,
          advisoriesChangedAt: () => services.advisories.lastChange(),
        },
        job,
      ),
  });

  jobs.define<{ trigger: ScanTrigger }>(scanAllJobType, {
    concurrency: 1,
    retry: { maxAttempts: 3 },
    handle: async (job) => ({ trigger: job.payload.trigger, ...(await services.scans.requestAll(job.signal)) }),
  });

  jobs.define<{ source?: string }>(advisoryRefreshType, {
    concurrency: 1,
    retry: { maxAttempts: 3, initialDelayMs: 30_000 },
    timeoutMs: 60 * 60_000,
    handle: async (job) => {
      const sources = job.payload.source ? [job.payload.source] : config.scanning.advisorySources;
      const outcomes = [];
      for (const source of sources) outcomes.push(await services.advisories.import(source, job.signal));
      return { imports: outcomes.map((o) => ({ source: o.source, total: o.total, added: o.added, updated: o.updated, removed: o.removed, rejected: o.rejected })) };
    },
  });

  const refreshCron = config.scanning.advisoryRefreshCron || '0 0 4 * * *';
  await scheduler.ensure(advisoryRefreshSchedule, refreshCron, advisoryRefreshType, {}, config.scanning.advisorySources.length > 0 && !!config.scanning.advisoryRefreshCron);
  await scheduler.ensure(scanAllSchedule, config.scanning.scanAllCron || '0 0 0 * * *', scanAllJobType, { trigger: 'schedule' }, !!config.scanning.scanAllCron);

  // Scan on push: the project's `auto_scan` setting, for new images and indexes (a re-push has its report).
  events.on('artifact.pushed', async (e) => {
    if (!e.data.created) return;
    const project = await services.projects.findByName(e.data.projectName);
    if (project?.metadata?.auto_scan !== 'true') return;
    const artifact = await artifactsRepo.find(knex, e.data.repository, e.data.digest);
    if (!artifact || artifact.subject_digest || !isScannable(artifact)) return;
    await services.scans.request({ project, repository: e.data.repository, artifact, ...(e.data.tags[0] ? { tag: e.data.tags[0] } : {}) });
  });

  events.on('advisories.updated', async () => {
    if (config.scanning.rescanOnAdvisoryUpdate) await services.scans.scanAll('advisories');
  });
}
