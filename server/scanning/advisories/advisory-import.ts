import type { Knex } from 'knex';
import type { Logger } from '../../core/logger.ts';
import type { EventBus } from '../../events/event-bus.ts';
import { bundleDocuments } from './advisory-source.ts';
import { advisoriesRepo } from './advisories.repo.ts';
import { parseOsv, type OsvAdvisory } from './osv.ts';
import { advisoryKey, type PackageKey } from './package-keys.ts';
import { knownEcosystems } from './versions/index.ts';

export interface ImportOutcome {
  importId: number;
  source: string;
  total: number;
  added: number;
  updated: number;
  removed: number;
  rejected: number;
  /** The first few rejected documents and why. */
  problems: string[];
}

const batchSize = 500;

/** The affected packages of an advisory whose ecosystem Berth can compare versions in. */
function keysOf(advisory: OsvAdvisory): Array<PackageKey & { affectedIndex: number }> {
  return (advisory.affected ?? []).flatMap((a, affectedIndex) => {
    const key = advisoryKey(a.package);
    return knownEcosystems.includes(key.ecosystem) ? [{ ...key, affectedIndex }] : [];
  });
}

/**
 * Imports an OSV bundle as the full set of its source's advisories: new and changed ones (by `modified`) are
 * written, ones the source no longer has are removed, unchanged ones are left alone. Writes go in batches, each
 * in its own transaction, so a large import never holds the database for long and a crash leaves whole advisories
 * only; the next run finishes the job. A document that is not valid OSV is counted and reported, not fatal.
 */
export class AdvisoryImporter {
  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  async import(source: string, signal?: AbortSignal): Promise<ImportOutcome> {
    const importId = await advisoriesRepo.startImport(this.db, source);
    const outcome: ImportOutcome = { importId, source, total: 0, added: 0, updated: 0, removed: 0, rejected: 0, problems: [] };
    try {
      const known = await advisoriesRepo.versionsOf(this.db, source);
      const seen = new Set<string>();
      let batch: Array<{ advisory: OsvAdvisory; keys: Array<PackageKey & { affectedIndex: number }> }> = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const items = batch;
        batch = [];
        await this.db.transaction((trx) => advisoriesRepo.upsert(trx, source, items));
      };
      for await (const { name, doc } of bundleDocuments(source, signal)) {
        signal?.throwIfAborted();
        outcome.total++;
        let advisory: OsvAdvisory;
        try {
          if (doc instanceof Error) throw doc;
          advisory = parseOsv(doc);
        } catch (err) {
          outcome.rejected++;
          if (outcome.problems.length < 5) outcome.problems.push(`${name}: ${(err as Error).message}`.slice(0, 300));
          continue;
        }
        if (seen.has(advisory.id)) continue;
        seen.add(advisory.id);
        const before = known.get(advisory.id);
        const modified = new Date(advisory.modified).toISOString();
        if (before === modified) continue;
        if (before === undefined) outcome.added++;
        else outcome.updated++;
        batch.push({ advisory, keys: keysOf(advisory) });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      if (outcome.total > 0 && outcome.rejected === outcome.total) throw new Error(`none of the ${outcome.total} documents is a valid OSV advisory: ${outcome.problems[0] ?? ''}`);
      const gone = [...known.keys()].filter((id) => !seen.has(id));
      await advisoriesRepo.remove(this.db, gone);
      outcome.removed = gone.length;
      await advisoriesRepo.finishImport(this.db, importId, {
        status: 'Success',
        total: outcome.total,
        added: outcome.added,
        updated: outcome.updated,
        removed: outcome.removed,
        rejected: outcome.rejected,
        error: outcome.problems.length ? outcome.problems.join('\n') : null,
      });
    } catch (err) {
      await advisoriesRepo
        .finishImport(this.db, importId, { status: 'Error', total: outcome.total, added: outcome.added, updated: outcome.updated, rejected: outcome.rejected, error: (err as Error).message.slice(0, 2000) })
        .catch((e: unknown) => this.log.warn({ err: e }, 'could not record the failed advisory import'));
      throw err;
    }
    this.log.info({ source, total: outcome.total, added: outcome.added, updated: outcome.updated, removed: outcome.removed, rejected: outcome.rejected }, 'advisories imported');
    if (outcome.added + outcome.updated + outcome.removed > 0) this.events.emit('advisories.updated', 'system', { source, added: outcome.added, updated: outcome.updated, removed: outcome.removed });
    return outcome;
  }
}
