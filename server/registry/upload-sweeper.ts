import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import { uploadsRepo } from '../blobs/uploads.repo.ts';
import type { UploadStore } from '../storage/upload-store.ts';
import { uuidPattern } from './blob.service.ts';

/**
 * Removes uploads nobody finished: rows older than the time-to-live, and upload folders in storage with no row
 * (left by a crash between the two, or by monolithic uploads cut off mid-way) once they are as old.
 */
export class UploadSweeper {
  constructor(
    private readonly db: Knex,
    private readonly uploads: UploadStore,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  async sweep(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.ttlMs);
    let removed = 0;
    for (const row of await uploadsRepo.createdBefore(this.db, cutoff, 1000)) {
      await this.uploads.remove(row.id);
      await uploadsRepo.delete(this.db, row.id);
      removed++;
    }
    const ids = await this.uploads.list();
    const known = await uploadsRepo.existing(this.db, ids.filter((id) => uuidPattern.test(id)));
    for (const id of ids) {
      if (known.has(id)) continue;
      const modified = await this.uploads.modifiedAt(id);
      if (!modified || modified < cutoff) {
        await this.uploads.remove(id);
        removed++;
      }
    }
    if (removed) this.log.info({ removed }, 'stale uploads removed');
    return removed;
  }
}
