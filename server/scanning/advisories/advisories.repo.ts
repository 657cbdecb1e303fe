import type { Knex } from 'knex';
import type { Queryable } from '../../db/types.ts';
import type { OsvAdvisory } from './osv.ts';
import type { PackageKey } from './package-keys.ts';

export interface AdvisoryImportRow {
  id: number;
  source: string;
  status: 'Running' | 'Success' | 'Error';
  total: number;
  added: number;
  updated: number;
  removed: number;
  rejected: number;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

/** An affected package of an advisory, as the matcher needs it. */
export interface AdvisoryHit {
  advisory: OsvAdvisory;
  affectedIndex: number;
  key: PackageKey;
}

const keyTuple = (k: PackageKey): [string, string, string] => [k.ecosystem, k.release, k.name];

/** The advisory database's tables; the importer writes them, the matcher reads them. */
export const advisoriesRepo = {
  async versionsOf(db: Queryable, source: string): Promise<Map<string, string>> {
    const rows = await db('advisories').where({ source }).select<Array<{ id: string; modified: Date }>>('id', 'modified');
    return new Map(rows.map((r) => [r.id, new Date(r.modified).toISOString()]));
  },

  async ownerOf(db: Queryable, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db('advisories').whereIn('id', ids).select<Array<{ id: string; source: string }>>('id', 'source');
    return new Map(rows.map((r) => [r.id, r.source]));
  },

  /** Writes advisories (replacing any with the same id) and their package rows. */
  async upsert(db: Queryable, source: string, advisories: Array<{ advisory: OsvAdvisory; keys: Array<PackageKey & { affectedIndex: number }> }>): Promise<void> {
    if (advisories.length === 0) return;
    const ids = advisories.map((a) => a.advisory.id);
    await db('advisory_packages').whereIn('advisory_id', ids).delete();
    await db('advisories')
      .insert(
        advisories.map(({ advisory: a }) => ({
          id: a.id,
          source,
          modified: a.modified,
          published: a.published ?? null,
          withdrawn: a.withdrawn ?? null,
          aliases: JSON.stringify(a.aliases ?? []),
          summary: (a.summary ?? '').slice(0, 1000),
          document: JSON.stringify(a),
          imported_at: db.fn.now(),
        })),
      )
      .onConflict('id')
      .merge();
    const packages = advisories.flatMap(({ advisory, keys }) => keys.map((k) => ({ advisory_id: advisory.id, ecosystem: k.ecosystem, release: k.release, name: k.name, affected_index: k.affectedIndex })));
    for (let i = 0; i < packages.length; i += 1000) await db('advisory_packages').insert(packages.slice(i, i + 1000));
  },

  async remove(db: Queryable, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000) await db('advisories').whereIn('id', ids.slice(i, i + 1000)).delete();
  },

  /** The advisories that name any of the keys (a release of '' in an advisory applies to every release). */
  async forKeys(db: Queryable, keys: PackageKey[]): Promise<AdvisoryHit[]> {
    if (keys.length === 0) return [];
    const byEcosystem = new Map<string, Set<string>>();
    for (const k of keys) byEcosystem.set(k.ecosystem, (byEcosystem.get(k.ecosystem) ?? new Set()).add(k.name));
    const wanted = new Set(keys.map((k) => keyTuple(k).join('\0')));
    const rows = await db('advisory_packages as p')
      .join('advisories as a', 'a.id', 'p.advisory_id')
      .whereNull('a.withdrawn')
      .where((q) => {
        for (const [ecosystem, names] of byEcosystem) q.orWhere((w) => w.where('p.ecosystem', ecosystem).whereIn('p.name', [...names]));
      })
      .select<Array<{ ecosystem: string; release: string; name: string; affected_index: number; document: OsvAdvisory | string }>>('p.ecosystem', 'p.release', 'p.name', 'p.affected_index', 'a.document');
    const releases = new Map<string, Set<string>>();
    for (const k of keys) {
      const base = `${k.ecosystem}\0${k.name}`;
      releases.set(base, (releases.get(base) ?? new Set()).add(k.release));
    }
    const hits: AdvisoryHit[] = [];
    for (const r of rows) {
      const candidates = releases.get(`${r.ecosystem}\0${r.name}`) ?? new Set<string>();
      // An advisory for a release matches packages of that release; one without a release matches them all.
      const matching = r.release === '' ? [...candidates] : candidates.has(r.release) ? [r.release] : [];
      const advisory = typeof r.document === 'string' ? (JSON.parse(r.document) as OsvAdvisory) : r.document;
      for (const release of matching) {
        const key = { ecosystem: r.ecosystem, release, name: r.name };
        if (wanted.has(keyTuple(key).join('\0'))) hits.push({ advisory, affectedIndex: r.affected_index, key });
      }
    }
    return hits;
  },

  /** When an import last changed the database (added, updated or removed advisories). */
  async lastChange(db: Queryable): Promise<Date | null> {
    const row = await db('advisory_imports')
      .where({ status: 'Success' })
      .andWhere((q) => q.where('added', '>', 0).orWhere('updated', '>', 0).orWhere('removed', '>', 0))
      .max<{ at: Date | null }>('finished_at as at')
      .first();
    return row?.at ? new Date(row.at) : null;
  },

  async startImport(db: Queryable, source: string): Promise<number> {
    // An import cut off by a crash stays Running; once it is older than any import may take, say what happened.
    await db('advisory_imports')
      .where({ source, status: 'Running' })
      .andWhere('started_at', '<', db.raw("now() - interval '1 hour'"))
      .update({ status: 'Error', error: 'interrupted (the process stopped before the import finished)', finished_at: db.fn.now() });
    const [row] = await db('advisory_imports').insert({ source, status: 'Running' }).returning<Array<{ id: number | string }>>('id');
    return Number(row!.id);
  },

  async finishImport(db: Queryable, id: number, outcome: Partial<Omit<AdvisoryImportRow, 'id' | 'source' | 'started_at' | 'finished_at'>>): Promise<void> {
    await db('advisory_imports').where({ id }).update({ ...outcome, finished_at: db.fn.now() });
  },

  async lastImportOf(db: Queryable, source: string): Promise<AdvisoryImportRow | undefined> {
    return db('advisory_imports').where({ source }).orderBy('id', 'desc').first<AdvisoryImportRow | undefined>();
  },

  async imports(db: Knex, limit: number): Promise<AdvisoryImportRow[]> {
    return db('advisory_imports').orderBy('id', 'desc').limit(limit).select<AdvisoryImportRow[]>('*');
  },

  async stats(db: Knex): Promise<{ total: number; newestModified: Date | null; bySource: Array<{ source: string; count: number }>; ecosystems: Array<{ ecosystem: string; count: number }> }> {
    const [agg] = await db('advisories').select<Array<{ total: string | number; newest: Date | null }>>(db.raw('count(*) as total'), db.raw('max(modified) as newest'));
    const bySource = await db('advisories').groupBy('source').orderBy('source').select<Array<{ source: string; count: string | number }>>('source', db.raw('count(*) as count'));
    const ecosystems = await db('advisory_packages').groupBy('ecosystem').orderBy('ecosystem').select<Array<{ ecosystem: string; count: string | number }>>('ecosystem', db.raw('count(distinct advisory_id) as count'));
    return {
      total: Number(agg?.total ?? 0),
      newestModified: agg?.newest ? new Date(agg.newest) : null,
      bySource: bySource.map((r) => ({ source: r.source, count: Number(r.count) })),
      ecosystems: ecosystems.map((r) => ({ ecosystem: r.ecosystem, count: Number(r.count) })),
    };
  },
};
