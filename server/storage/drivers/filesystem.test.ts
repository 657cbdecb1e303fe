import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runDriverSuite } from '../driver-suite.ts';
import { FilesystemDriver } from './filesystem.ts';

const roots = new Map<FilesystemDriver, string>();

runDriverSuite('filesystem', {
  async create() {
    const root = await mkdtemp(path.join(os.tmpdir(), 'berth-fs-driver-'));
    const driver = new FilesystemDriver(root, 1024 * 1024);
    roots.set(driver, root);
    return driver;
  },
  async destroy(driver) {
    await rm(roots.get(driver as FilesystemDriver)!, { recursive: true, force: true });
  },
});
