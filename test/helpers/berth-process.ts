import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminPassword } from './test-server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A free loopback port (asked of the OS, then released for the child to bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface BerthProcess {
  child: ChildProcess;
  url: string;
  /** host:port, as container tools name a registry. */
  host: string;
  port: number;
  dataDir: string;
  adminPassword: string;
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

export interface BerthProcessOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
}

/**
 * Runs Berth as a real process (`node --import tsx server/main.ts`), the way `npm start` does, for tests that
 * need real clients, signals or restarts. Resolves once /v2/ answers.
 */
export async function startBerthProcess(options: BerthProcessOptions = {}): Promise<BerthProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'berth-proc-')));
  const port = options.port ?? (await freePort());
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      BERTH_PORT: String(port),
      BERTH_HOST: '127.0.0.1',
      BERTH_DATA_DIR: dataDir,
      BERTH_ADMIN_PASSWORD: adminPassword,
      BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG ?? 'warn',
      DATABASE_URL: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`berth exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 401 || res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`berth did not start within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    url,
    host: `127.0.0.1:${port}`,
    port,
    dataDir,
    adminPassword,
    output: () => out,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
