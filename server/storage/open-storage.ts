import { access, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BerthConfig } from '../config/config.schema.ts';
import type { StorageDriver } from './driver.ts';
import { FilesystemDriver } from './drivers/filesystem.ts';

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** Builds the configured driver and proves it can write, so a bad data directory stops start-up clearly. */
export async function openStorage(config: Readonly<BerthConfig>): Promise<StorageDriver> {
  const root = config.storage.filesystem.rootDirectory;
  try {
    await mkdir(root, { recursive: true });
    await access(root, constants.W_OK);
    const probe = path.join(root, `.write-probe-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (err) {
    throw new StorageUnavailableError(`storage directory ${root} is not usable: ${(err as Error).message}`);
  }
  return new FilesystemDriver(root, config.registry.readBufferBytes);
}
