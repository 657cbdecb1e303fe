// Spawning, readiness, CPU accounting and shutdown of the two servers under test.
// Each target's pid is the server process itself (no npm/shell wrapper), so
// /proc/<pid>/stat utime+stime is exactly the server's CPU.
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { httpRequest } from './http-client.ts';

export type TargetName = 'berth' | 'distribution';

export interface Target {
  name: TargetName;
  label: string;
  port: number;
  pid: number;
  repo: string;
  pushHeaders: Record<string, string>; // auth for pushes
  pullHeaders: Record<string, string>; // auth for pulls (anonymous by default)
  stop(): Promise<void>;
}

export interface StartOptions {
  root: string; // repository root (cwd for Berth)
  pullAuth: boolean;
  distCache: boolean;
}

const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** utime+stime of a process in seconds (all its threads). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may contain spaces and parens: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK; // fields 14 and 15
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function tail(file: string, n = 30): string {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

/** Polls GET /v2/ until one of `ok` statuses answers; bounded by timeoutMs and child exit. */
async function waitReady(child: ChildProcess, port: number, ok: number[], timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited early (code ${child.exitCode}, signal ${child.signalCode}); log tail:\n${tail(log)}`);
    }
    try {
      const r = await httpRequest(port, { method: 'GET', path: '/v2/', timeoutMs: 2000 });
      if (ok.includes(r.status)) return;
      last = `status ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server on port ${port} not ready after ${timeoutMs} ms (${last}); log tail:\n${tail(log)}`);
}

/** SIGTERM, then SIGKILL after 10 s; then remove the temp dir. */
function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env['BENCH_KEEP']) fs.rmSync(dir, { recursive: true, force: true });
  };
}

function launch(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const fd = fs.openSync(log, 'a'); // a file, not a pipe: a chatty server can never block on us
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.on('error', () => {}); // reported through exitCode / readiness timeout
  if (child.pid === undefined) throw new Error(`failed to spawn ${cmd}`);
  return child;
}

export async function startBerth(o: StartOptions): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const port = await freePort();
  const password = 'Bench-' + randomBytes(12).toString('hex');
  const log = path.join(dir, 'server.log');
  const env = {
    ...process.env, BERTH_PORT: String(port), BERTH_DATA_DIR: path.join(dir, 'data'),
    BERTH_ADMIN_PASSWORD: password, LOG_LEVEL: 'warn', BERTH_LOG_LEVEL: 'warn',
  };
  // process.execPath directly (not npx/npm) so the child pid is the server itself.
  // BERTH_BENCH_NODE_ARGS adds node flags to the server (e.g. --cpu-prof) for profiling a workload.
  const extra = (process.env.BERTH_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = launch(process.execPath, [...extra, '--import', 'tsx', 'server/main.ts'], o.root, env, log);
  const stop = stopper(child, dir);
  try {
    await waitReady(child, port, [200, 401], 60_000, log);
  } catch (e) {
    await stop();
    throw e;
  }
  const auth = { authorization: 'Basic ' + Buffer.from(`admin:${password}`).toString('base64') };
  return {
    name: 'berth', label: 'Berth', port, pid: child.pid!, repo: 'library/bench',
    pushHeaders: auth, pullHeaders: o.pullAuth ? auth : {}, stop,
  };
}

export async function startDistribution(o: StartOptions): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distribution-bench-'));
  const port = await freePort();
  const log = path.join(dir, 'server.log');
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, [
    'version: 0.1',
    'log: {level: warn, accesslog: {disabled: true}}',
    'storage:',
    `  filesystem: {rootdirectory: ${path.join(dir, 'data')}}`,
    '  delete: {enabled: true}',
    // Debian's stock config enables this cache; off by default to match the brief.
    ...(o.distCache ? ['  cache: {blobdescriptor: inmemory}'] : []),
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n'));
  const child = launch('/usr/bin/docker-registry', ['serve', config], dir, process.env, log);
  const stop = stopper(child, dir);
  try {
    await waitReady(child, port, [200], 60_000, log);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    name: 'distribution', label: 'Distribution', port, pid: child.pid!, repo: 'library/bench',
    pushHeaders: {}, pullHeaders: {}, stop,
  };
}
