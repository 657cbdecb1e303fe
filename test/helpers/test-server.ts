import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../server/config/load-config.ts';
import { createLogger } from '../../server/core/logger.ts';
import type { DatabaseKind } from '../../server/db/database.ts';
import { startServer, type RunningServer } from '../../server/server.ts';
import { createPostgresDatabase, pgliteSnapshot } from './databases.ts';

export const adminPassword = 'Test-Admin-Passw0rd';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** `Authorization` header value for the admin user. */
  adminAuth: string;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  database?: DatabaseKind;
  /** Extra configuration merged over the test defaults. */
  config?: Record<string, unknown>;
}

/**
 * Starts Berth in-process on an ephemeral port with its own data directory and database (PGlite from the
 * prepared snapshot by default, or a fresh PostgreSQL database), with the admin password known to the test.
 */
export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-test-'));
  const kind = options.database ?? 'pglite';
  const pgdb = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config = validateConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminPassword,
    log: { level: process.env.BERTH_TEST_LOG ?? 'silent' },
    database: { url: pgdb?.url ?? '' },
    ...options.config,
  });
  const running = await startServer(config, {
    log: createLogger(config.log.level),
    database: kind === 'pglite' ? { pgliteSnapshot: await pgliteSnapshot() } : {},
  });
  return {
    ...running,
    dataDir,
    adminAuth: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`,
    stop: async () => {
      await running.close(2_000);
      await pgdb?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
