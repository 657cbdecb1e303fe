import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrationSource } from './migrations/index.ts';

export type DatabaseKind = 'pglite' | 'postgres';

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
  const db = options.url ? openPostgres(options.url, options.poolMax ?? 10) : await openPglite(options);
  try {
    await db.knex.migrate.latest({ migrationSource });
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
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
  let pglite: PGlite;
  if (options.pgliteSnapshot) {
    pglite = new PGlite({ loadDataDir: options.pgliteSnapshot });
  } else if (options.pgliteDir) {
    await mkdir(path.dirname(options.pgliteDir), { recursive: true });
    pglite = new PGlite(options.pgliteDir);
  } else {
    pglite = new PGlite();
  }
  await pglite.waitReady;
  const knex = knexFactory({ client: PgliteClient as unknown as typeof knexFactory.Client, dialect: 'postgres', connection: () => ({ pglite }) } as Knex.Config);
  return {
    kind: 'pglite',
    knex,
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
