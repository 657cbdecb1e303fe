import type { Logger } from '../core/logger.ts';
import type { UploadStore } from '../storage/upload-store.ts';

/**
 * Removes uploads nobody finished: sessions idle for longer than the time-to-live, and the leftovers of
 * monolithic uploads cut off by a crash. Runs at start and then periodically.
 */
export class UploadSweeper {
  constructor(
    private readonly uploads: UploadStore,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  async sweep(now = new Date()): Promise<number> {
    const removed = await this.uploads.expire(new Date(now.getTime() - this.ttlMs));
    if (removed) this.log.info({ removed }, 'stale uploads removed');
    return removed;
  }
}
