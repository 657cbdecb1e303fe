import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startBerthProcess } from '../helpers/berth-process.ts';

const run = promisify(execFile);

describe('npm start', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'berth-start-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('stops with a message naming the bad key when the config is invalid', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'berth.yaml');
    await writeFile(file, 'port: 5000\nstorage:\n  drivr: filesystem\n');
    const err = await run(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, BERTH_CONFIG: file, BERTH_DATA_DIR: dir },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/invalid config file .*unknown key "storage.drivr"/);
  });

  it('creates admin with a generated password printed once, and the public library project', async () => {
    const dataDir = await tempDir();
    const first = await startBerthProcess({ dataDir, env: { BERTH_ADMIN_PASSWORD: '' } });
    const password = /generated password:\s+(\S+)/.exec(first.output())?.[1];
    expect(password).toBeDefined();
    expect(password!.length).toBeGreaterThanOrEqual(20);
    const auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    expect((await fetch(`${first.url}/v2/`, { headers: { authorization: auth } })).status).toBe(200);
    // The library project is public: anonymous tag listing reaches the repository lookup, not a 401.
    const anon = await fetch(`${first.url}/v2/library/none/tags/list`);
    expect(anon.status).toBe(404);
    await first.kill('SIGTERM');
    expect(first.child.exitCode).toBe(0);

    const second = await startBerthProcess({ dataDir, env: { BERTH_ADMIN_PASSWORD: '' } });
    expect(second.output()).not.toMatch(/generated password/);
    expect((await fetch(`${second.url}/v2/`, { headers: { authorization: auth } })).status).toBe(200);

    // A second process on the same embedded database is refused while the first runs.
    const err = await run(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, BERTH_DATA_DIR: dataDir, BERTH_PORT: '0', DATABASE_URL: '' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(3);
    expect((err as { stderr: string }).stderr).toMatch(/in use by another Berth process \(pid \d+\)/);
    await second.kill('SIGTERM');
  });
});
