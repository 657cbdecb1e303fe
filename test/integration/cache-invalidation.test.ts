import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createLogger } from '../../server/core/logger.ts';
import { CacheInvalidation } from '../../server/events/cache-invalidation.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';

async function until(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cache invalidation across nodes sharing PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  const nodes: CacheInvalidation[] = [];
  const dropped: Array<Array<[string, string]>> = [[], []];

  beforeAll(async () => {
    db = await createPostgresDatabase();
    for (const i of [0, 1]) {
      const node = new CacheInvalidation(db.url, createLogger('silent'));
      for (const cache of ['tags', 'projects']) node.register(cache, (key) => void dropped[i]!.push([cache, key]));
      await node.start();
      nodes.push(node);
    }
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await db?.drop();
  });

  it('drops an entry at once where it changed and on the other node after the notification', async () => {
    nodes[0]!.invalidate('tags', 'library/app\tv1');
    expect(dropped[0]).toEqual([['tags', 'library/app\tv1']]);
    await until('the other node', () => dropped[1]!.length === 1);
    expect(dropped[1]).toEqual([['tags', 'library/app\tv1']]);
    // The sender does not drop its entry a second time when its own notification comes back.
    await new Promise((r) => setTimeout(r, 100));
    expect(dropped[0]).toHaveLength(1);
  });

  it('drops everything after losing its connection, and listens again once reconnected', async () => {
    dropped[0]!.length = 0;
    dropped[1]!.length = 0;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    // Kill both nodes' listening connections, as a PostgreSQL restart or a network cut would.
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
    await admin.end();
    await until('both nodes to drop everything', () => dropped.every((d) => d.some(([, key]) => key === '*')));
    dropped[1]!.length = 0;
    await until('the nodes to listen again', async () => {
      nodes[0]!.invalidate('projects', 'dev');
      await new Promise((r) => setTimeout(r, 100));
      return dropped[1]!.some(([cache, key]) => cache === 'projects' && key === 'dev');
    });
  });
});
