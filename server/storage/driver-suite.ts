import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageDriver } from './driver.ts';

/** What a driver suite needs from a driver implementation: a fresh, empty instance and a way to clean it up. */
export interface DriverHarness {
  create(): Promise<StorageDriver>;
  destroy(driver: StorageDriver): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The contract every storage driver must meet (filesystem now, S3 and others later). A driver passes when this
 * whole suite passes against it.
 */
export function runDriverSuite(name: string, harness: DriverHarness): void {
  describe(`storage driver contract: ${name}`, () => {
    let driver: StorageDriver;
    beforeEach(async () => {
      driver = await harness.create();
    });
    afterEach(async () => harness.destroy(driver));

    it('stores and reads back small content', async () => {
      await driver.putContent('a/b/c', Buffer.from('hello'));
      expect((await driver.getContent('a/b/c')).toString()).toBe('hello');
      expect(await driver.stat('a/b/c')).toMatchObject({ size: 5, isDirectory: false });
    });

    it('reports missing paths as null and missing folders as empty', async () => {
      expect(await driver.stat('nope/x')).toBeNull();
      expect(await driver.list('nope')).toEqual([]);
      await expect(driver.getContent('nope/x')).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(driver.reader('nope/x')).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('streams a byte range', async () => {
      await driver.putContent('r', Buffer.from('0123456789'));
      expect((await readAll(await driver.reader('r', { start: 2, end: 5 }))).toString()).toBe('2345');
      expect((await readAll(await driver.reader('r', { start: 7 }))).toString()).toBe('789');
    });

    it('appends with writers and truncates back', async () => {
      await pipeline(Readable.from([Buffer.from('abc')]), await driver.writer('up/data'));
      await pipeline(Readable.from([Buffer.from('def')]), await driver.writer('up/data', { append: true }));
      expect((await driver.getContent('up/data')).toString()).toBe('abcdef');
      await driver.truncate('up/data', 4);
      expect((await driver.getContent('up/data')).toString()).toBe('abcd');
    });

    it('moves atomically, replacing the destination', async () => {
      await driver.putContent('src', Buffer.from('new'));
      await driver.putContent('dst/x', Buffer.from('old'));
      await driver.move('src', 'dst/x');
      expect((await driver.getContent('dst/x')).toString()).toBe('new');
      expect(await driver.stat('src')).toBeNull();
    });

    it('lists children in order and deletes folders recursively', async () => {
      await driver.putContent('d/b', Buffer.from('1'));
      await driver.putContent('d/a/deep', Buffer.from('2'));
      expect(await driver.list('d')).toEqual(['a', 'b']);
      await driver.delete('d');
      expect(await driver.stat('d')).toBeNull();
      await driver.delete('d');
    });

    it.each(['../escape', 'a/../../b', '/abs', 'a//b', 'a/./b', '', 'a/b%2f', 'with space'])('refuses the path %j', async (path) => {
      await expect(driver.putContent(path, Buffer.from('x'))).rejects.toThrow(/invalid storage path/);
      await expect(driver.stat(path)).rejects.toThrow(/invalid storage path/);
    });

    it('writes a large object through a stream and reads it back intact', async () => {
      const big = Buffer.alloc(8 * 1024 * 1024 + 13, 7);
      big.write('end', big.length - 3);
      await pipeline(Readable.from([big.subarray(0, 5_000_000), big.subarray(5_000_000)]), await driver.writer('big'));
      const back = await readAll(await driver.reader('big'));
      expect(back.length).toBe(big.length);
      expect(back.equals(big)).toBe(true);
    });
  });
}
