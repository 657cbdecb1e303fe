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
    const { id } = await this.jobs.enqueue(this.refreshJobType, source ? { source } : {});
    return id;
  }

  lastChange(): Promise<Date | null> {
    return advisoriesRepo.lastChange(this.db);
  }

  async status(): Promise<AdvisoryDatabaseStatus> {
    const stats = await advisoriesRepo.stats(this.db);
    const imports = await advisoriesRepo.imports(this.db, 20);
    const sources = [...new Set([...this.configuredSources, ...stats.bySource.map((s) => s.source), ...imports.map((i) => i.source)])];
    const lastOf = async (source: string): Promise<AdvisoryImportRow | null> =>
      (await this.db('advisory_imports').where({ source }).orderBy('id', 'desc').first<AdvisoryImportRow | undefined>()) ?? null;
    return {
      total: stats.total,
      newestModified: stats.newestModified,
      lastChange: await this.lastChange(),
      configuredSources: [...this.configuredSources],
      bySource: await Promise.all(sources.map(async (source) => ({ source, count: stats.bySource.find((s) => s.source === source)?.count ?? 0, lastImport: await lastOf(source) }))),
      ecosystems: stats.ecosystems,
      recentImports: imports,
    };
  }
}
