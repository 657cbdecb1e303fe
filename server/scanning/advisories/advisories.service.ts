import { stat } from 'node:fs/promises';
import { BerthError } from '../../core/errors.ts';
import type { Knex } from 'knex';
import type { JobQueue } from '../../jobs/job-queue.ts';
import type { AdvisoryImporter, ImportOutcome } from './advisory-import.ts';
import { advisoriesRepo, type AdvisoryImportRow } from './advisories.repo.ts';

/** The job type of advisory imports. */
export const advisoryRefreshType = 'advisories.refresh';

/** What the API shows of the advisory database: its size, age and where it came from. */
export interface AdvisoryDatabaseStatus {
  total: number;
  /** The newest `modified` time among the advisories: how current the data is. */
  newestModified: Date | null;
  /** When an import last changed the database. */
  lastChange: Date | null;
  configuredSources: string[];
  bySource: Array<{ source: string; count: number; lastImport: AdvisoryImportRow | null }>;
  ecosystems: Array<{ ecosystem: string; count: number }>;
  recentImports: AdvisoryImportRow[];
}

/** The OSV advisory database: imports (as jobs), and its status. */
export class AdvisoriesService {
  constructor(
    private readonly db: Knex,
    private readonly importer: AdvisoryImporter,
    private readonly jobs: JobQueue,
    private readonly configuredSources: readonly string[],
    private readonly refreshJobType: string,
  ) {}

  import(source: string, signal?: AbortSignal): Promise<ImportOutcome> {
    return this.importer.import(source, signal);
  }

  /** Queues an import of one source, or of every configured source. */
  async requestImport(source?: string): Promise<number | null> {
    // A local path is checked now, so a typo is a 400 here rather than a failed job later; URLs are tried by the job.
    if (source && !/^https?:\/\//i.test(source) && !(await stat(source).then(() => true, () => false))) throw new BerthError('BAD_REQUEST', `${source.slice(0, 300)} does not exist on the server`);
    if (!source && this.configuredSources.length === 0) throw new BerthError('BAD_REQUEST', 'no advisory source is configured (scanning.advisorySources); name one in the request');
    const { id } = await this.jobs.enqueue(this.refreshJobType, source ? { source } : {});
    return id;
  }

  lastChange(): Promise<Date | null> {
    return advisoriesRepo.lastChange(this.db);
  }

  async status(): Promise<AdvisoryDatabaseStatus> {
    // Imports are read before the counts, so a finished import is never shown beside counts from before it.
    const imports = await advisoriesRepo.imports(this.db, 20);
    const lastChange = await this.lastChange();
    const known = [...new Set([...this.configuredSources, ...imports.map((i) => i.source)])];
    const lastImports = new Map<string, AdvisoryImportRow | null>();
    for (const source of known) lastImports.set(source, (await advisoriesRepo.lastImportOf(this.db, source)) ?? null);
    const stats = await advisoriesRepo.stats(this.db);
    const sources = [...new Set([...known, ...stats.bySource.map((s) => s.source)])];
    return {
      total: stats.total,
      newestModified: stats.newestModified,
      lastChange,
      configuredSources: [...this.configuredSources],
      bySource: sources.map((source) => ({ source, count: stats.bySource.find((s) => s.source === source)?.count ?? 0, lastImport: lastImports.get(source) ?? null })),
      ecosystems: stats.ecosystems,
      recentImports: imports,
    };
  }
}
