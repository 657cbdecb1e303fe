import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database, type DatabaseKind } from '../../server/db/database.ts';

/** The PostgreSQL server the tests use (trust auth on loopback); override with BERTH_TEST_PG. */
export const testPostgresUrl = process.env.BERTH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Both databases Berth supports; data-layer suites run once per kind. */
export const databaseKinds: DatabaseKind[] = ['pglite', 'postgres'];

export async function pgliteSnapshot(): Promise<Blob> {
  return new Blob([await readFile(inject('pgliteSnapshot'))]);
}

/** Creates an empty PostgreSQL database for one test file; returns its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: testPostgresUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A migrated database of the given kind that is removed again by `close`. */
export async function openTestDatabase(kind: DatabaseKind): Promise<Database> {
  if (kind === 'pglite') return openDatabase({ url: '', pgliteSnapshot: await pgliteSnapshot() });
  const pgdb = await createPostgresDatabase();
  const db = await openDatabase({ url: pgdb.url, poolMax: 5 });
  return {
    ...db,
    close: async () => {
      await db.close();
      await pgdb.drop();
    },
  };
}
