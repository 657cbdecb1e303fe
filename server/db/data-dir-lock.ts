import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DatabaseUnavailableError } from './database.ts';

/**
 * The embedded database allows one process. A second Berth started on the same data directory would corrupt
 * it, so the first one holds `<dataDir>/berth.pid`; a file left by a process that no longer runs (killed, power
 * cut) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'berth.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) {
        throw new DatabaseUnavailableError(`the data directory ${dataDir} is in use by another Berth process (pid ${pid})`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new DatabaseUnavailableError(`cannot lock the data directory ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
