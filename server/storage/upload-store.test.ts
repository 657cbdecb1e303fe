import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, parseDigest } from '../core/digest.ts';
import { BlobStore } from './blob-store.ts';
import { FilesystemDriver } from './drivers/filesystem.ts';
import { UploadStore } from './upload-store.ts';
import { UploadSweeper } from '../registry/upload-sweeper.ts';
import { createLogger } from '../core/logger.ts';

describe('UploadStore', () => {
  let root: string;
  let driver: FilesystemDriver;
  let blobs: BlobStore;
  let uploads: UploadStore;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'berth-uploads-'));
    driver = new FilesystemDriver(root);
    blobs = new BlobStore(driver);
    uploads = new UploadStore(driver, blobs);
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  const data = Buffer.from('the quick brown fox jumps over the lazy dog');
  const filesUnder = async (folder: string): Promise<string[]> =>
    (await Promise.all((await driver.list(folder)).map((sub) => driver.list(`${folder}/${sub}`)))).flat();
  const digest = parseDigest(digestOf(data))!;

  it('assembles chunks and publishes the blob only after the digest checks', async () => {
    await uploads.create({ id: 'u1' });
    await uploads.append({ id: 'u1' }, Readable.from([data.subarray(0, 10)]), 0);
    await uploads.append({ id: 'u1' }, Readable.from([data.subarray(10)]), 10);
    expect(await blobs.size(digestOf(data))).toBeNull();
    expect(await uploads.complete({ id: 'u1' }, digest)).toBe(data.length);
    expect((await blobs.read(digestOf(data))).equals(data)).toBe(true);
    expect(await uploads.size({ id: 'u1' })).toBeNull();
  });

  it('rebuilds the hash from storage when the in-memory state is gone (restart or another node)', async () => {
    await uploads.create({ id: 'u2' });
    await uploads.append({ id: 'u2' }, Readable.from([data.subarray(0, 20)]));
    const fresh = new UploadStore(driver, blobs);
    await fresh.append({ id: 'u2' }, Readable.from([data.subarray(20)]), 20);
    expect(await fresh.complete({ id: 'u2' }, digest)).toBe(data.length);
    expect(await blobs.size(digestOf(data))).toBe(data.length);
  });

  it('verifies a sha512 digest by re-hashing the upload', async () => {
    await uploads.create({ id: 'u3' });
    await uploads.append({ id: 'u3' }, Readable.from([data]));
    const d512 = parseDigest(digestOf(data, 'sha512'))!;
    await uploads.complete({ id: 'u3' }, d512);
    expect(await blobs.size(digestOf(data, 'sha512'))).toBe(data.length);
  });

  it('refuses an out-of-order chunk with the current range', async () => {
    await uploads.create({ id: 'u4' });
    await uploads.append({ id: 'u4' }, Readable.from([data.subarray(0, 5)]));
    await expect(uploads.append({ id: 'u4' }, Readable.from([data.subarray(9)]), 9)).rejects.toMatchObject({ code: 'RANGE_INVALID', headers: { Range: '0-4' } });
  });

  it('cuts a chunk that failed mid-stream back off, so file and hash agree', async () => {
    await uploads.create({ id: 'u5' });
    await uploads.append({ id: 'u5' }, Readable.from([data.subarray(0, 10)]));
    const failing = new Readable({
      read() {
        this.push(data.subarray(10, 15));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(uploads.append({ id: 'u5' }, failing, 10)).rejects.toThrow('client went away');
    expect(await uploads.size({ id: 'u5' })).toBe(10);
    await uploads.append({ id: 'u5' }, Readable.from([data.subarray(10)]), 10);
    expect(await uploads.complete({ id: 'u5' }, digest)).toBe(data.length);
  });

  it('refuses a chunk shorter than its declared length and keeps the earlier bytes', async () => {
    await uploads.create({ id: 'u6' });
    await expect(uploads.append({ id: 'u6' }, Readable.from([data.subarray(0, 4)]), 0, 10)).rejects.toMatchObject({ code: 'SIZE_INVALID' });
    expect(await uploads.size({ id: 'u6' })).toBe(0);
  });

  it('discards an upload whose digest does not match', async () => {
    await uploads.create({ id: 'u7' });
    await uploads.append({ id: 'u7' }, Readable.from([data]));
    await expect(uploads.complete({ id: 'u7' }, parseDigest(digestOf('other'))!)).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    expect(await uploads.size({ id: 'u7' })).toBeNull();
    expect(await blobs.size(digestOf('other'))).toBeNull();
  });

  it('finds a session only under the repository that started it, from any node', async () => {
    await uploads.create({ id: 's1', repository: 'library/app' });
    const other = new UploadStore(driver, blobs);
    expect(await other.size({ id: 's1', repository: 'library/app' })).toBe(0);
    expect(await other.size({ id: 's1', repository: 'library/other' })).toBeNull();
    expect(await other.size({ id: 'nope', repository: 'library/app' })).toBeNull();
  });

  it('publishes an empty blob from a session that received no bytes', async () => {
    await uploads.create({ id: 's2', repository: 'library/app' });
    await uploads.complete({ id: 's2', repository: 'library/app' }, parseDigest(digestOf(''))!);
    expect(await blobs.size(digestOf(''))).toBe(0);
  });

  it('sweeps sessions idle past the time-to-live and keeps active ones', async () => {
    await uploads.create({ id: 'old', repository: 'library/app' });
    await uploads.append({ id: 'old', repository: 'library/app' }, Readable.from([data]));
    await uploads.create({ id: 'new', repository: 'library/app' });
    const sweeper = new UploadSweeper(uploads, 60_000, createLogger('silent'));
    expect(await sweeper.sweep(new Date(Date.now() + 30_000))).toBe(0);
    expect(await sweeper.sweep(new Date(Date.now() + 120_000))).toBe(2);
    expect(await filesUnder('uploads')).toEqual([]);
    expect(await uploads.size({ id: 'old', repository: 'library/app' })).toBeNull();
  });

  it('sweeps the temporary files a crash left behind', async () => {
    await driver.putContent('uploads/ab/abc.tmp-0123ab', Buffer.from('{'));
    const sweeper = new UploadSweeper(uploads, 60_000, createLogger('silent'));
    expect(await sweeper.sweep(new Date(Date.now() + 120_000))).toBe(1);
    expect(await filesUnder('uploads')).toEqual([]);
  });
});
