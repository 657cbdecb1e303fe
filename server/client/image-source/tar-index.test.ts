import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarIndex } from './tar-index.ts';

describe('TarIndex', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-tar-'));
    const src = path.join(dir, 'src');
    const long = `${'d'.repeat(90)}/${'f'.repeat(80)}.txt`;
    await mkdir(path.join(src, 'blobs', 'sha256'), { recursive: true });
    await mkdir(path.join(src, path.dirname(long)), { recursive: true });
    await writeFile(path.join(src, 'index.json'), '{"manifests":[]}');
    await writeFile(path.join(src, 'empty'), '');
    await writeFile(path.join(src, long), 'long name');
    await writeFile(path.join(src, 'blobs', 'sha256', 'big'), Buffer.alloc(700_000, 7));
    // GNU tar (long names as GNU records) and POSIX pax (long names as pax path records).
    execFileSync('tar', ['-cf', path.join(dir, 'gnu.tar'), '--format=gnu', '-C', src, '.']);
    execFileSync('tar', ['-cf', path.join(dir, 'pax.tar'), '--format=pax', '-C', src, '.']);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['gnu.tar', 'pax.tar'])('indexes %s and streams each entry from its range', async (name) => {
    const index = await TarIndex.open(path.join(dir, name));
    expect((await index.read('./index.json')).toString()).toBe('{"manifests":[]}');
    expect((await index.read('empty')).length).toBe(0);
    expect((await index.read(`${'d'.repeat(90)}/${'f'.repeat(80)}.txt`)).toString()).toBe('long name');
    expect(index.size('blobs/sha256/big')).toBe(700_000);
    const chunks: Buffer[] = [];
    for await (const c of index.open('blobs/sha256/big')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.alloc(700_000, 7))).toBe(true);
    await expect(index.read('blobs/sha256/big', 1000)).rejects.toThrow(/more than a manifest or config may be/);
  });

  it('refuses a file that is not a tar, and a truncated archive', async () => {
    await writeFile(path.join(dir, 'not.tar'), Buffer.alloc(2048, 65));
    await expect(TarIndex.open(path.join(dir, 'not.tar'))).rejects.toThrow(/not a tar archive/);
    const cut = path.join(dir, 'cut.tar');
    await writeFile(cut, await readFile(path.join(dir, 'gnu.tar')));
    await truncate(cut, 300_000);
    await expect(TarIndex.open(cut)).rejects.toThrow(/truncated/);
  });
});
