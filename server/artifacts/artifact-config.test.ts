import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadOptions } from '../storage/driver.ts';
import { FilesystemDriver } from '../storage/drivers/filesystem.ts';
import { BlobStore } from '../storage/blob-store.ts';
import { paths } from '../storage/paths.ts';
import { parseDigest } from '../core/digest.ts';
import { ArtifactConfigReader, imageExtraAttrs, maxConfigBytes } from './artifact-config.ts';

/** The filesystem driver, counting the bytes its readers were asked for. */
class CountingDriver extends FilesystemDriver {
  readonly reads: Array<ReadOptions | undefined> = [];
  override async reader(p: string, options?: ReadOptions) {
    this.reads.push(options);
    return super.reader(p, options);
  }
}

const digestOf = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('ArtifactConfigReader', () => {
  let root: string;
  let driver: CountingDriver;
  let reader: ArtifactConfigReader;
  const store = async (data: Buffer): Promise<string> => {
    const digest = digestOf(data);
    await driver.putContent(paths.blob(parseDigest(digest)!), data);
    return digest;
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'berth-config-'));
    driver = new CountingDriver(root);
    reader = new ArtifactConfigReader(new BlobStore(driver));
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  it('reads a small config once, by its exact size, and answers again from memory', async () => {
    const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', history: [{ created_by: 'x' }] }));
    const digest = await store(config);
    expect(await reader.read(digest)).toEqual({ architecture: 'arm64', os: 'linux', history: [{ created_by: 'x' }] });
    expect(driver.reads).toEqual([{ start: 0, end: config.length - 1 }]);
    await driver.delete(paths.blob(parseDigest(digest)!));
    expect((await reader.read(digest))?.architecture).toBe('arm64');
    expect(driver.reads).toHaveLength(1);
  });

  it('does not read a config larger than the limit at all', async () => {
    const digest = await store(Buffer.alloc(maxConfigBytes + 1, 0x20));
    const before = driver.reads.length;
    expect(await reader.read(digest)).toBeNull();
    expect(driver.reads.length).toBe(before);
  });

  it('answers null for missing, empty, non-JSON and non-object configs', async () => {
    expect(await reader.read(`sha256:${'0'.repeat(64)}`)).toBeNull();
    expect(await reader.read(null)).toBeNull();
    for (const bad of ['not json', '[1,2]', '"text"', '']) expect(await reader.read(await store(Buffer.from(bad)))).toBeNull();
  });
});

describe('imageExtraAttrs', () => {
  it('takes the author from the config, else from the OCI authors or maintainer label', () => {
    const config = { Labels: { maintainer: 'm@example.com', 'org.opencontainers.image.authors': 'oci@example.com' }, Cmd: ['/x'] };
    expect(imageExtraAttrs({ architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', author: 'me', config })).toEqual({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      author: 'me',
      config,
    });
    expect(imageExtraAttrs({ config }).author).toBe('oci@example.com');
    expect(imageExtraAttrs({ config: { Labels: { maintainer: 'm@example.com' } } }).author).toBe('m@example.com');
    expect(imageExtraAttrs({})).toEqual({ architecture: '', os: '', created: null, author: '', config: {} });
  });
});
