import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { Queryable } from '../db/types.ts';
import type { EventBus } from '../events/event-bus.ts';

/**
 * Who pushed each digest into each project first. Copies and promotions are not pushes, so a digest's earliest
 * origin is the person who put it into the registry: the approval gate never counts that person's approval.
 * Written from `artifact.pushed` events (pushes that created the artifact), off the push's own path.
 */
export const originsRepo = {
  async record(db: Queryable, o: { digest: string; projectId: number; repository: string; pusher: string }): Promise<void> {
    await db('artifact_origins').insert({ digest: o.digest, project_id: o.projectId, repository: o.repository, pusher: o.pusher }).onConflict(['digest', 'project_id']).ignore();
  },

  /** The first pusher of a digest anywhere, or null when no push of it was ever recorded. */
  async firstPusher(db: Queryable, digest: string): Promise<string | null> {
    const row = await db('artifact_origins').where({ digest }).orderBy('pushed_at').first<{ pusher: string } | undefined>('pusher');
    return row?.pusher ?? null;
  },
};

export function recordOrigins(db: Knex, events: EventBus, log: Logger): void {
  events.on('artifact.pushed', async (e) => {
    if (!e.data.created) return;
    await originsRepo.record(db, { digest: e.data.digest, projectId: e.data.projectId, repository: e.data.repository, pusher: e.operator }).catch((err: unknown) => {
      log.warn({ err, digest: e.data.digest }, 'could not record who pushed an artifact');
    });
  });
}
