import type { Knex } from 'knex';
import { blobsRepo, type BlobLink, type LinkCharge } from './blobs.repo.ts';

interface Waiter {
  link: BlobLink;
  resolve(charge: LinkCharge | undefined): void;
  reject(err: unknown): void;
}

/**
 * Group commit for blob links. Every finished upload must record its blob before the client hears 201, and a
 * commit costs far more than the rows in it (PGlite writes its WAL per commit; PostgreSQL pays a round trip).
 * Links that arrive while a batch is being written wait for the next batch, so under concurrent pushes many
 * uploads share one statement and one commit, while a lone upload is written at once. Each caller learns what its
 * link did to its project's quota (see `blobsRepo.linkMany`): a refused link resolves with `refused: true`.
 */
export class LinkBatcher {
  private queue: Waiter[] = [];
  private writing = false;

  constructor(
    private readonly db: Knex,
    private readonly maxBatch = 256,
  ) {}

  link(link: BlobLink): Promise<LinkCharge | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ link, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const charges = await blobsRepo.linkMany(this.db, batch.map((w) => w.link));
        for (const [i, w] of batch.entries()) w.resolve(charges.get(i));
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        // One bad link (say, its project was just deleted) must not fail the others: retry them one by one.
        else for (const w of batch) await blobsRepo.linkMany(this.db, [w.link]).then((charges) => w.resolve(charges.get(0)), w.reject);
      }
    }
    this.writing = false;
  }
}
