import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { artifactsRepo } from '../../server/artifacts/artifacts.repo.ts';
import { repositoriesRepo } from '../../server/artifacts/repositories.repo.ts';
import { tagsRepo } from '../../server/artifacts/tags.repo.ts';
import { blobsRepo } from '../../server/blobs/blobs.repo.ts';
import { projectsRepo } from '../../server/projects/projects.repo.ts';
import { databaseKinds, openTestDatabase } from '../helpers/databases.ts';
import { sha256 } from '../helpers/oci-client.ts';

describe.each(databaseKinds)('metadata layer on %s', (kind) => {
  let db: Database;
  let projectId: number;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    projectId = (await projectsRepo.ensure(db.knex, { name: 'meta', public: false, ownerId: null })).id;
  });
  afterAll(async () => db?.close());

  const push = (repositoryName: string, digest: string, extra: Partial<Parameters<typeof artifactsRepo.push>[1]> = {}) =>
    artifactsRepo.push(db.knex, {
    repositoryName,
    projectId,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    manifest: Buffer.alloc(100, 1),
    size: 1000,
    blobDigests: [],
    children: [],
    ...extra,
  });

  it('runs the migrations to the latest version', async () => {
    const [, pending] = (await db.knex.migrate.list({ migrationSource: (await import('../../server/db/migrations/index.ts')).migrationSource })) as [unknown[], unknown[]];
    expect(pending).toEqual([]);
  });

  it('links a blob to a repository idempotently and never across repositories', async () => {
    const digest = sha256('blob-1');
    await blobsRepo.linkMany(db.knex, [{ repositoryName: 'meta/a', projectId, digest, size: 6 }]);
    await blobsRepo.linkMany(db.knex, [{ repositoryName: 'meta/a', projectId, digest, size: 6 }]);
    expect(await blobsRepo.linkedSize(db.knex, 'meta/a', digest)).toBe(6);
    expect(await blobsRepo.linkedSize(db.knex, 'meta/b', digest)).toBeNull();
    const [row] = await db.knex('blobs').where({ digest }).count<Array<{ count: string | number }>>('* as count');
    expect(Number(row?.count)).toBe(1);
    expect(await blobsRepo.unlink(db.knex, 'meta/a', digest)).toBe(1);
    expect(await blobsRepo.linkedSize(db.knex, 'meta/a', digest)).toBeNull();
  });

  it('stores sizes above 4 GiB exactly', async () => {
    const digest = sha256('huge');
    await blobsRepo.linkMany(db.knex, [{ repositoryName: 'meta/huge', projectId, digest, size: 5 * 1024 ** 3 + 7 }]);
    expect(await blobsRepo.linkedSize(db.knex, 'meta/huge', digest)).toBe(5 * 1024 ** 3 + 7);
  });

  it('inserts an artifact once, moves tags, and cascades a delete to tags', async () => {
    const repoId = await repositoriesRepo.ensure(db.knex, projectId, 'meta/app');
    expect(await repositoriesRepo.ensure(db.knex, projectId, 'meta/app')).toBe(repoId);
    const d1 = sha256('m1');
    const d2 = sha256('m2');
    const first = await push('meta/app', d1, { blobDigests: [sha256('l'), sha256('l')] });
    const again = await push('meta/app', d1);
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    const second = await push('meta/app', d2);
    await tagsRepo.upsert(db.knex, repoId, 'latest', first.id);
    expect((await tagsRepo.resolve(db.knex, 'meta/app', 'latest'))?.digest).toBe(d1);
    await tagsRepo.upsert(db.knex, repoId, 'latest', second.id);
    expect((await tagsRepo.resolve(db.knex, 'meta/app', 'latest'))?.digest).toBe(d2);
    expect(await push('meta/app', d1, { tag: 'pushed' })).toEqual({ id: first.id, created: false });
    expect((await tagsRepo.resolve(db.knex, 'meta/app', 'pushed'))?.digest).toBe(d1);
    expect(await artifactsRepo.manifestBytes(db.knex, d1)).toEqual(Buffer.alloc(100, 1));
    expect(await artifactsRepo.manifestBytes(db.knex, sha256('absent'))).toBeUndefined();
    await artifactsRepo.delete(db.knex, second.id);
    expect(await tagsRepo.resolve(db.knex, 'meta/app', 'latest')).toBeUndefined();
    expect(await artifactsRepo.find(db.knex, 'meta/app', d1)).toMatchObject({ digest: d1, manifest_size: 100 });
  });

  it('lists tags and repositories in byte order with pagination', async () => {
    const repoId = await repositoriesRepo.ensure(db.knex, projectId, 'meta/order');
    const art = await push('meta/order', sha256('order'));
    for (const t of ['b', 'B', 'a', 'A', '_z', '10', '9']) await tagsRepo.upsert(db.knex, repoId, t, art.id);
    expect(await tagsRepo.names(db.knex, repoId, { limit: 100 })).toEqual(['10', '9', 'A', 'B', '_z', 'a', 'b']);
    expect(await tagsRepo.names(db.knex, repoId, { limit: 2, last: 'A' })).toEqual(['B', '_z']);
    await repositoriesRepo.ensure(db.knex, projectId, 'meta/a-b');
    await repositoriesRepo.ensure(db.knex, projectId, 'meta/a_b');
    const names = await repositoriesRepo.names(db.knex, { limit: 100, projectIds: [projectId] });
    expect(names).toEqual([...names].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
    expect(await repositoriesRepo.names(db.knex, { limit: 100, projectIds: [] })).toEqual([]);
  });

  it('finds referrers by subject, filtered by artifact type, and index parents', async () => {
    const repoId = await repositoriesRepo.ensure(db.knex, projectId, 'meta/refs');
    const subject = sha256('subject');
    await push('meta/refs', subject);
    await push('meta/refs', sha256('sig'), { subjectDigest: subject, artifactType: 'application/vnd.dev.cosign' });
    await push('meta/refs', sha256('sbom'), { subjectDigest: subject, artifactType: 'application/spdx+json', annotations: { a: 'b' } });
    expect((await artifactsRepo.referrers(db.knex, 'meta/refs', subject)).map((r) => r.digest)).toEqual([sha256('sig'), sha256('sbom')]);
    const sboms = await artifactsRepo.referrers(db.knex, 'meta/refs', subject, 'application/spdx+json');
    expect(sboms.map((r) => [r.digest, r.annotations])).toEqual([[sha256('sbom'), { a: 'b' }]]);
    const index = await push('meta/refs', sha256('index'), { children: [{ digest: subject, platform: { os: 'linux', architecture: 'arm64' } }] });
    expect(await artifactsRepo.parentsOf(db.knex, repoId, subject)).toEqual([sha256('index')]);
    expect(await artifactsRepo.digestsAmong(db.knex, 'meta/refs', [subject, sha256('nope')])).toEqual(new Set([subject]));
    await artifactsRepo.delete(db.knex, index.id);
    expect(await artifactsRepo.parentsOf(db.knex, repoId, subject)).toEqual([]);
  });
});
