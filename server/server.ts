import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BerthConfig } from './config/config.schema.ts';
import { createLogger, type Logger } from './core/logger.ts';
import { openDatabase, type DatabaseOptions } from './db/database.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { openStorage } from './storage/open-storage.ts';
import { createApp } from './app.ts';
import { bootstrap } from './bootstrap.ts';
import { createServices, type Services } from './services.ts';
import { flushBackgroundWork, registerBackgroundWork } from './background.ts';

export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  /** The admin password when this start generated it (first start without BERTH_ADMIN_PASSWORD). */
  generatedPassword?: string;
  /** Stops accepting connections, waits for requests in flight (up to `graceMs`), then closes the database. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Overrides how PGlite is opened (tests start from a prepared snapshot). */
  database?: Partial<DatabaseOptions>;
}

/** Opens storage and database, bootstraps first-start state and listens. Shared by main.ts and the tests. */
export async function startServer(config: Readonly<BerthConfig>, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger(config.log.level);
  const storage = await openStorage(config);
  // The embedded database belongs to one process (tests that load a snapshot keep it in memory instead).
  const unlock = !config.database.url && !options.database?.pgliteSnapshot ? lockDataDir(config.dataDir) : () => undefined;
  let db;
  try {
    db = await openDatabase({
      url: config.database.url,
      pgliteDir: path.join(config.dataDir, 'db'),
      poolMax: config.database.poolMax,
      ...options.database,
    });
  } catch (err) {
    unlock();
    throw err;
  }
  const services = createServices(config, log, db, storage);
  const { generatedPassword } = await bootstrap(services);
  await registerBackgroundWork(services);
  await services.uploadSweeper.sweep().catch((err: unknown) => log.warn({ err }, 'upload sweep failed'));
  const sweepTimer = setInterval(() => {
    services.uploadSweeper.sweep().catch((err: unknown) => log.warn({ err }, 'upload sweep failed'));
  }, config.registry.uploadSweepMinutes * 60_000);
  sweepTimer.unref();

  await services.cluster.start();
  await services.scheduler.start();
  if (config.jobs.workers) services.jobs.start();

  const app = createApp(services);
  const server: Server = app.listen(config.port, config.host);
  server.keepAliveTimeout = 65_000;
  // Node ends any request not fully received within 5 minutes by default, which would cut off a large layer
  // pushed over a slow link; limit idleness instead (no byte for 5 minutes), and the header phase as before.
  server.requestTimeout = 0;
  server.timeout = 5 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  log.info({ port, database: db.kind, dataDir: config.dataDir }, 'berth listening');
  services.endpoint.internalUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweepTimer);
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await drained;
      clearTimeout(timer);
      // Background work stops after the requests that may have caused it: schedules, then jobs (finished or
      // handed back), then the batched writers flush what they hold.
      await services.scheduler.stop();
      await services.jobs.stop(graceMs);
      await flushBackgroundWork(services);
      await services.cluster.stop();
      await db.close();
      unlock();
    })();
    return closing;
  };
  return { url: `http://${host}:${port}`, port, services, generatedPassword, close };
}
