import { mkdir } from 'node:fs/promises';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PgliteThread } from './pglite-thread.ts';
import pg from 'pg';
import { migrationSource } from './migrations/index.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The metadata database cannot be opened; the message names where and why, without credentials. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

function describeTarget(options: DatabaseOptions): string {
  if (!options.url) return options.pgliteDir ? `embedded database at ${options.pgliteDir}` : 'embedded database';
  try {
    const u = new URL(options.url);
    return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL (unparsable DATABASE_URL)';
  }
}

export interface Database {
  kind: DatabaseKind;
  knex: Knex;
  close(): Promise<void>;
}

// int8 (sizes) and numeric come back as strings from node-postgres; sizes here stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface DatabaseOptions {
  /** `postgres://...` for PostgreSQL; empty for PGlite. */
  url: string;
  /** PGlite data folder; ignored for PostgreSQL. Omit (with no snapshot) for an in-memory database. */
  pgliteDir?: string;
  /** A `dumpDataDir` tarball to start an in-memory PGlite from (tests: ~0.6 s instead of ~3 s to create). */
  pgliteSnapshot?: Blob;
  poolMax?: number;
}

/** Opens the metadata database (PGlite or PostgreSQL) and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let db: Database;
  try {
    db = options.url ? openPostgres(options.url, options.poolMax ?? 10) : await openPglite(options);
  } catch (err) {
    throw new DatabaseUnavailableError(`cannot open the ${describeTarget(options)}: ${reason(err)}`);
  }
  try {
    await migrate(db.knex);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new DatabaseUnavailableError(`cannot open the ${describeTarget(options)}: ${reason(err)}`);
  }
  return db;
}

/**
 * Brings the schema up to date. Several nodes starting together on one PostgreSQL race for knex's migration lock;
 * the losers retry until the winner is done (up to two minutes) instead of failing their start.
 */
async function migrate(knex: knexFactory.Knex): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await knex.migrate.latest({ migrationSource });
      return;
    } catch (err) {
      // Besides the lock itself, two nodes creating knex's bookkeeping tables at once collide on the catalog.
      const racing = (err as Error).name === 'MigrationLocked' || ['23505', '42P07'].includes((err as { code?: string }).code ?? '');
      if (!racing || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
    }
  }
}

/** PGlite reports file errors with Emscripten errno numbers and no text; name the common ones. */
function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; errno?: number; code?: string };
  const emscripten: Record<number, string> = { 2: 'permission denied', 20: 'file exists', 44: 'no such file or directory', 54: 'not a directory', 31: 'is a directory', 51: 'no space left on device' };
  if (e?.name === 'ErrnoError' || (!e?.message && typeof e?.errno === 'number')) return emscripten[e.errno!] ?? `file system error ${e.errno}`;
  return e?.message || String(err);
}

function openPostgres(url: string, poolMax: number): Database {
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: poolMax } });
  return { kind: 'postgres', knex, close: () => knex.destroy() };
}

/**
 * knex-pglite derives the SQL command from knex's method name, and `del`/`counter` are not command names, so
 * deletes and increments would return the raw result instead of the affected row count as on PostgreSQL.
 */
class PgliteClient extends (ClientPgLite as unknown as new (config: Knex.Config) => { processResponse(obj: { method?: string }, runner: unknown): unknown }) {
  override processResponse(obj: { method?: string }, runner: unknown): unknown {
    const method = obj.method === 'del' ? 'delete' : obj.method === 'counter' ? 'update' : obj.method;
    return super.processResponse({ ...obj, method }, runner);
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  if (options.pgliteDir) {
    // Fail here with the operating system's words if the folder cannot exist, rather than inside PGlite.
    await mkdir(options.pgliteDir, { recursive: true });
  }
  const snapshot = options.pgliteSnapshot ? await options.pgliteSnapshot.arrayBuffer() : undefined;
  const pglite = new PgliteThread({ dataDir: snapshot ? undefined : options.pgliteDir, snapshot });
  try {
    await pglite.waitReady;
  } catch (err) {
    await pglite.close().catch(() => undefined);
    throw err;
  }
  const knex = knexFactory({ client: PgliteClient as unknown as typeof knexFactory.Client, dialect: 'postgres', connection: () => ({ pglite }) } as Knex.Config);
  return {
    kind: 'pglite',
    knex,
    close: async () => {
      await knex.destroy();
      await pglite.close();
    },
  };
}
