import { ConfigError, loadConfig } from './config/load-config.ts';
import { createLogger } from './core/logger.ts';
import { StorageUnavailableError } from './storage/open-storage.ts';
import { DatabaseUnavailableError } from './db/database.ts';
import { startServer } from './server.ts';

/** `npm start`: load config, start, print the generated admin password once, drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  let running;
  try {
    running = await startServer(config, { log });
  } catch (err) {
    if (err instanceof StorageUnavailableError || err instanceof DatabaseUnavailableError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exit(3);
    }
    log.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
  if (running.generatedPassword) {
    // Printed once, on the terminal only: it is not logged and not stored anywhere but as a hash.
    process.stdout.write(
      `\n  Berth created the system administrator "admin" with this generated password:\n\n      ${running.generatedPassword}\n\n` +
        '  It is shown only now. Set BERTH_ADMIN_PASSWORD before the first start to choose it instead.\n\n',
    );
  }
  process.stdout.write(`berth: listening on ${running.url} (registry at /v2/, API at /api/v2.0)\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
