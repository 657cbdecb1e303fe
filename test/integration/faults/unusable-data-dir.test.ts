import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPassword } from '../../helpers/test-server.ts';

/**
 * The data directory cannot be used. Berth must refuse to start and tell the operator clearly which path is wrong.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs `npm start`'s entry point with the given data directory and returns how it ended (it must not start). */
function runUntilExit(dataDir: string, timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        BERTH_PORT: '0',
        BERTH_HOST: '127.0.0.1',
        BERTH_DATA_DIR: dataDir,
        BERTH_ADMIN_PASSWORD: adminPassword,
        BERTH_LOG_LEVEL: 'warn',
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('an unusable data directory (tests run as root, so every case fails for root too)', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'berth-baddir-'));
  });
  afterAll(async () => rm(scratch, { recursive: true, force: true }));

  const cases: Array<{ name: string; prepare: (dir: string) => Promise<{ dataDir: string; named: string }> }> = [
    {
      name: 'a data directory below a regular file (ENOTDIR)',
      prepare: async (dir) => {
        await writeFile(path.join(dir, 'a-file'), 'not a directory');
        const dataDir = path.join(dir, 'a-file', 'data');
        return { dataDir, named: dataDir };
      },
    },
    {
      name: 'a storage folder that is a regular file',
      prepare: async (dir) => {
        const dataDir = path.join(dir, 'storage-file');
        await mkdir(dataDir);
        await writeFile(path.join(dataDir, 'storage'), 'not a directory');
        return { dataDir, named: path.join(dataDir, 'storage') };
      },
    },
    {
      name: 'a database folder that is a regular file',
      prepare: async (dir) => {
        const dataDir = path.join(dir, 'db-file');
        await mkdir(dataDir);
        await writeFile(path.join(dataDir, 'db'), 'not a directory');
        return { dataDir, named: path.join(dataDir, 'db') };
      },
    },
  ];

  it.each(cases)('$name: exits non-zero with a one-line message naming the path, no stack trace', async ({ prepare }) => {
    const dir = await mkdtemp(path.join(scratch, 'case-'));
    const { dataDir, named } = await prepare(dir);
    const { code, signal, output } = await runUntilExit(dataDir);
    expect(signal, `still running after 30 s:\n${output}`).toBeNull();
    expect(code, output).not.toBe(0);
    expect(output, 'names the unusable path').toContain(named);
    expect(output, 'no stack trace').not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(output, 'no stack trace in a JSON log line').not.toMatch(/"stack"/);
    expect(output).not.toMatch(/listening/);
  });
});
