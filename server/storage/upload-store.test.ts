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
  const digest = parseDigest(digestOf(data))!;

  it('assembles chunks and publishes the blob only after the digest checks', async () => {
    await uploads.create('u1');
    await uploads.append('u1', Readable.from([data.subarray(0, 10)]), 0);
    await uploads.append('u1', Readable.from([data.subarray(10)]), 10);
    expect(await blobs.size(digestOf(data))).toBeNull();
    expect(await uploads.complete('u1', digest)).toBe(data.length);
    expect((await blobs.read(digestOf(data))).equals(data)).toBe(true);
    expect(await uploads.size('u1')).toBeNull();
  });

  it('rebuilds the hash from storage when the in-memory state is gone (restart or another node)', async () => {
    await uploads.create('u2');
    await uploads.append('u2', Readable.from([data.subarray(0, 20)]));
    const fresh = new UploadStore(driver, blobs);
    await fresh.append('u2', Readable.from([data.subarray(20)]), 20);
    expect(await fresh.complete('u2', digest)).toBe(data.length);
    expect(await blobs.size(digestOf(data))).toBe(data.length);
  });

  it('verifies a sha512 digest by re-hashing the upload', async () => {
    await uploads.create('u3');
    await uploads.append('u3', Readable.from([data]));
    const d512 = parseDigest(digestOf(data, 'sha512'))!;
    await uploads.complete('u3', d512);
    expect(await blobs.size(digestOf(data, 'sha512'))).toBe(data.length);
  });

  it('refuses an out-of-order chunk with the current range', async () => {
    await uploads.create('u4');
    await uploads.append('u4', Readable.from([data.subarray(0, 5)]));
    await expect(uploads.append('u4', Readable.from([data.subarray(9)]), 9)).rejects.toMatchObject({ code: 'RANGE_INVALID', headers: { Range: '0-4' } });
  });

  it('cuts a chunk that failed mid-stream back off, so file and hash agree', async () => {
    await uploads.create('u5');
    await uploads.append('u5', Readable.from([data.subarray(0, 10)]));
    const failing = new Readable({
      read() {
        this.push(data.subarray(10, 15));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(uploads.append('u5', failing, 10)).rejects.toThrow('client went away');
    expect(await uploads.size('u5')).toBe(10);
    await uploads.append('u5', Readable.from([data.subarray(10)]), 10);
    expect(await uploads.complete('u5', digest)).toBe(data.length);
  });

  it('refuses a chunk shorter than its declared length and keeps the earlier bytes', async () => {
    await uploads.create('u6');
    await expect(uploads.append('u6', Readable.from([data.subarray(0, 4)]), 0, 10)).rejects.toMatchObject({ code: 'SIZE_INVALID' });
    expect(await uploads.size('u6')).toBe(0);
  });

  it('discards an upload whose digest does not match', async () => {
    await uploads.create('u7');
    await uploads.append('u7', Readable.from([data]));
    await expect(uploads.complete('u7', parseDigest(digestOf('other'))!)).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    expect(await uploads.size('u7')).toBeNull();
    expect(await blobs.size(digestOf('other'))).toBeNull();
  });

  it('records the session owner beside the bytes, readable by another node or after a restart', async () => {
    await uploads.create('s1', { repository: 'library/app', projectId: 1 });
    expect(await uploads.size('s1')).toBe(0);
    const other = new UploadStore(driver, blobs);
    expect(await other.owner('s1')).toMatchObject({ repository: 'library/app', projectId: 1 });
    expect(await other.owner('nope')).toBeNull();
  });

  it('publishes an empty blob from a session that received no bytes', async () => {
    await uploads.create('s2', { repository: 'library/app', projectId: 1 });
    await uploads.complete('s2', parseDigest(digestOf(''))!);
    expect(await blobs.size(digestOf(''))).toBe(0);
  });

  it('sweeps sessions idle past the time-to-live and keeps active ones', async () => {
    await uploads.create('old', { repository: 'library/app', projectId: 1 });
    await uploads.append('old', Readable.from([data]));
    await uploads.create('new', { repository: 'library/app', projectId: 1 });
    const sweeper = new UploadSweeper(uploads, 60_000, createLogger('silent'));
    expect(await sweeper.sweep(new Date(Date.now() + 30_000))).toBe(0);
    expect(await sweeper.sweep(new Date(Date.now() + 120_000))).toBe(2);
    expect(await driver.list('uploads')).toEqual([]);
    expect(await uploads.owner('old')).toBeNull();
  });

  it('sweeps the temporary files a crash left behind', async () => {
    await driver.putContent('uploads/abc.info.tmp-0123ab', Buffer.from('{'));
    const sweeper = new UploadSweeper(uploads, 60_000, createLogger('silent'));
    expect(await sweeper.sweep(new Date(Date.now() + 120_000))).toBe(1);
    expect(await driver.list('uploads')).toEqual([]);
  });
});
