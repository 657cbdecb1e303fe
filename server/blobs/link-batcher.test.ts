import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { projectsRepo } from '../projects/projects.repo.ts';
import { databaseKinds, openTestDatabase } from '../../test/helpers/databases.ts';
import { sha256 } from '../../test/helpers/oci-client.ts';
import { blobsRepo } from './blobs.repo.ts';
import { LinkBatcher } from './link-batcher.ts';

describe.each(databaseKinds)('LinkBatcher on %s', (kind) => {
  let db: Database;
  let projectId: number;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    projectId = (await projectsRepo.ensure(db.knex, { name: 'batch', public: false, ownerId: null })).id;
  });
  afterAll(async () => db?.close());

  it('writes concurrent links in few statements and resolves each caller after its link is stored', async () => {
    const statements: string[] = [];
    db.knex.on('query', (q: { sql: string }) => statements.push(q.sql));
    const batcher = new LinkBatcher(db.knex);
    const links = Array.from({ length: 20 }, (_, i) => ({ repositoryName: `batch/r${i % 3}`, projectId, digest: sha256(`b${i % 10}`), size: 2 }));
    await Promise.all(links.map((l) => batcher.link(l)));
    db.knex.removeAllListeners('query');
    expect(statements.length).toBeLessThanOrEqual(2);
    for (const l of links) expect(await blobsRepo.linkedSize(db.knex, l.repositoryName, l.digest)).toBe(2);
  });

  it('rejects only the caller whose link failed when a batch fails', async () => {
    const batcher = new LinkBatcher(db.knex);
    const bad = batcher.link({ repositoryName: 'batch/x', projectId: 999_999, digest: sha256('orphan'), size: 1 });
    const good = batcher.link({ repositoryName: 'batch/x', projectId, digest: sha256('ok'), size: 1 });
    await expect(bad).rejects.toThrow();
    await good;
    expect(await blobsRepo.linkedSize(db.knex, 'batch/x', sha256('ok'))).toBe(1);
    expect(await blobsRepo.linkedSize(db.knex, 'batch/x', sha256('orphan'))).toBeNull();
  });
});
