import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { artifactsRepo } from '../../server/artifacts/artifacts.repo.ts';
import { blobsRepo } from '../../server/blobs/blobs.repo.ts';
import { projectsRepo } from '../../server/projects/projects.repo.ts';
import { quotasRepo } from '../../server/quotas/quotas.repo.ts';
import { QuotaRefusal } from '../../server/quotas/quota-refusal.ts';
import { databaseKinds, openTestDatabase } from '../helpers/databases.ts';
import { sha256 } from '../helpers/oci-client.ts';

/**
 * Storage accounting in the data layer (migration 006), counted as Harbor does: a project is charged each distinct
 * blob and manifest it holds once, however many repositories hold it; a blob two projects hold counts in each; a
 * retag or re-push costs nothing; deleting an artifact releases its manifest and the blobs no other artifact of the
 * project references. The invariant checked after every step: `used` equals the sum of the project's charges.
 */
describe.each(databaseKinds)('quota accounting on %s', (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
  });
  afterAll(async () => db?.close());

  let projects = 0;
  async function project(hard = -1): Promise<{ id: number; name: string }> {
    const name = `q${++projects}`;
    const { id } = await projectsRepo.ensure(db.knex, { name, public: false, ownerId: null });
    await quotasRepo.create(db.knex, id, hard);
    return { id, name };
  }

  /** Usage, checked against the charges it must equal. */
  async function used(projectId: number): Promise<number> {
    const quota = await quotasRepo.findByProject(db.knex, projectId);
    const [row] = await db.knex('project_blobs').where({ project_id: projectId }).sum<Array<{ sum: string | number | null }>>('size as sum');
    expect(quota!.used).toBe(Number(row?.sum ?? 0));
    return quota!.used;
  }

  /** Changes a limit the way the API does (under the project's exclusive quota lock). */
  const setHard = async (projectId: number, hard: number): Promise<void> => {
    expect(await quotasRepo.setHard(db.knex, (await quotasRepo.findByProject(db.knex, projectId))!.id, hard)).toBe(true);
  };

  const charged = async (projectId: number): Promise<string[]> => (await db.knex('project_blobs').where({ project_id: projectId }).orderBy('digest').pluck<string[]>('digest')).sort();

  const link = (p: { id: number; name: string }, repo: string, data: string) =>
    blobsRepo.linkMany(db.knex, [{ repositoryName: `${p.name}/${repo}`, projectId: p.id, digest: sha256(data), size: data.length }]);

  /** Pushes a manifest of `manifestBytes` bytes naming `blobs` (which must be linked first). */
  const push = (p: { id: number; name: string }, repo: string, manifest: string, blobs: string[], tag?: string) =>
    artifactsRepo.push(db.knex, {
      repositoryName: `${p.name}/${repo}`,
      projectId: p.id,
      digest: sha256(manifest),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifest: Buffer.from(manifest),
      size: manifest.length + blobs.reduce((a, b) => a + b.length, 0),
      blobDigests: blobs.map((b) => sha256(b)),
      children: [],
      tag,
    });

  async function image(p: { id: number; name: string }, repo: string, manifest: string, blobs: string[], tag?: string) {
    for (const b of blobs) await link(p, repo, b);
    return push(p, repo, manifest, blobs, tag);
  }

  it('charges a blob shared by two projects to each of them', async () => {
    const a = await project();
    const b = await project();
    await link(a, 'app', 'shared-layer-1');
    await link(b, 'app', 'shared-layer-1');
    expect(await used(a.id)).toBe(14);
    expect(await used(b.id)).toBe(14);
  });

  it('charges a blob held by two repositories of one project once', async () => {
    const p = await project();
    await image(p, 'one', 'manifest-1', ['layer-aa', 'config-a']);
    const before = await used(p.id);
    expect(before).toBe(10 + 8 + 8);
    // The same blobs and manifest in a second repository: already paid for.
    const again = await image(p, 'two', 'manifest-1', ['layer-aa', 'config-a']);
    expect(again.created).toBe(true);
    expect(again.quota?.charged).toBe(0);
    expect(await used(p.id)).toBe(before);
  });

  it('charges nothing for a retag or a re-push', async () => {
    const p = await project();
    await image(p, 'app', 'manifest-r', ['layer-r'], 'v1');
    const before = await used(p.id);
    const retag = await push(p, 'app', 'manifest-r', ['layer-r'], 'latest');
    expect(retag.created).toBe(false);
    await link(p, 'app', 'layer-r');
    await push(p, 'app', 'manifest-r', ['layer-r'], 'v1');
    expect(await used(p.id)).toBe(before);
  });

  it('releases on delete exactly the manifest and the blobs no other artifact of the project references', async () => {
    const p = await project();
    const first = await image(p, 'app', 'manifest-d1', ['base-layer', 'own-layer-1']);
    await image(p, 'app', 'manifest-d2', ['base-layer', 'own-layer-2']);
    // A blob uploaded for a push still in progress: linked and charged, not yet named by any manifest.
    await link(p, 'app', 'pending-upload');
    const before = await used(p.id);
    const released = await artifactsRepo.delete(db.knex, first.id);
    expect(released).toMatchObject({ projectId: p.id, released: 'manifest-d1'.length + 'own-layer-1'.length });
    expect(await used(p.id)).toBe(before - 'manifest-d1'.length - 'own-layer-1'.length);
    expect(await charged(p.id)).toEqual([sha256('base-layer'), sha256('manifest-d2'), sha256('own-layer-2'), sha256('pending-upload')].sort());
    // Deleting it again finds nothing and releases nothing.
    expect(await artifactsRepo.delete(db.knex, first.id)).toBeNull();
  });

  it('keeps a manifest charged while another repository of the project holds the same digest', async () => {
    const p = await project();
    const one = await image(p, 'one', 'manifest-m', ['layer-m']);
    await image(p, 'two', 'manifest-m', ['layer-m']);
    const before = await used(p.id);
    await artifactsRepo.delete(db.knex, one.id);
    expect(await used(p.id)).toBe(before);
  });

  it('charges again the blobs of a re-push after a delete released them while the repository link stayed', async () => {
    const p = await project();
    const pushed = await image(p, 'app', 'manifest-again', ['layer-again']);
    const full = await used(p.id);
    await artifactsRepo.delete(db.knex, pushed.id);
    expect(await used(p.id)).toBe(0);
    // The client finds the blob still in the repository and pushes only the manifest.
    expect(await blobsRepo.linkedSize(db.knex, `${p.name}/app`, sha256('layer-again'))).toBe('layer-again'.length);
    const again = await push(p, 'app', 'manifest-again', ['layer-again']);
    expect(again.quota).toEqual({ charged: full, used: null, hard: -1 });
    expect(await used(p.id)).toBe(full);
  });

  it('never lets usage go negative', async () => {
    const p = await project();
    const pushed = await image(p, 'app', 'manifest-neg', ['layer-neg']);
    // Usage that drifted below the charges (say, edited by hand) is floored at zero, never negative.
    await db.knex('quota_usage_deltas').where({ project_id: p.id }).delete();
    await db.knex('quotas').where({ project_id: p.id }).update({ used: 3 });
    await artifactsRepo.delete(db.knex, pushed.id);
    expect((await quotasRepo.findByProject(db.knex, p.id))!.used).toBe(0);
    await expect(db.knex('quotas').where({ project_id: p.id }).update({ used: -1 })).rejects.toThrow();
  });

  it('refuses a link that would pass the limit, writing nothing for it and everything for the others', async () => {
    const p = await project(20);
    const result = await blobsRepo.linkMany(db.knex, [
      { repositoryName: `${p.name}/app`, projectId: p.id, digest: sha256('twelve-bytes'), size: 12 },
      { repositoryName: `${p.name}/app`, projectId: p.id, digest: sha256('too-large-to-fit'), size: 16 },
      { repositoryName: `${p.name}/app`, projectId: p.id, digest: sha256('eight-by'), size: 8 },
      // Already charged in this very batch: free.
      { repositoryName: `${p.name}/other`, projectId: p.id, digest: sha256('twelve-bytes'), size: 12 },
    ]);
    expect(result.get(0)).toEqual({ refused: false, charged: 12, used: 12, hard: 20 });
    expect(result.get(1)).toEqual({ refused: true, charged: 16, used: 12, hard: 20 });
    expect(result.get(2)).toEqual({ refused: false, charged: 8, used: 20, hard: 20 });
    expect(result.has(3)).toBe(false);
    expect(await used(p.id)).toBe(20);
    expect(await blobsRepo.linkedSize(db.knex, `${p.name}/app`, sha256('too-large-to-fit'))).toBeNull();
    expect(await blobsRepo.linkedSize(db.knex, `${p.name}/other`, sha256('twelve-bytes'))).toBe(12);
    // A blob the project holds costs nothing even when the project is full.
    expect((await link(p, 'third', 'eight-by')).size).toBe(0);
    expect(await blobsRepo.linkedSize(db.knex, `${p.name}/third`, sha256('eight-by'))).toBe(8);
  });

  it('refuses a push over the limit and leaves no trace of it', async () => {
    const p = await project(40);
    await link(p, 'app', 'layer-fits-in-quota');
    const before = await used(p.id);
    const refused = await push(p, 'app', 'a manifest too large to fit the rest', ['layer-fits-in-quota'], 'v1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QuotaRefusal);
    expect(refused).toMatchObject({ requested: 36, used: before, hard: 40 });
    expect(await used(p.id)).toBe(before);
    expect(await db.knex('repositories').where({ name: `${p.name}/app` }).first()).toBeUndefined();
    expect(await db.knex('artifacts').where({ project_id: p.id }).first()).toBeUndefined();
    // Raising the limit lets the same push through.
    await setHard(p.id, 1000);
    expect((await push(p, 'app', 'a manifest too large to fit the rest', ['layer-fits-in-quota'], 'v1')).created).toBe(true);
  });

  it('does not let concurrent manifest pushes overshoot the limit: exactly as many as fit get through', async () => {
    const p = await project();
    const images = Array.from({ length: 12 }, (_, i) => ({ layer: `layer-${String(i).padStart(4, '0')}`, manifest: `manif-${String(i).padStart(4, '0')}` }));
    for (const [i, img] of images.entries()) await link(p, `r${i % 3}`, img.layer);
    // Room for five 10-byte manifests.
    await setHard(p.id, (await used(p.id)) + 50);
    const outcomes = await Promise.all(
      images.map((img, i) =>
        push(p, `r${i % 3}`, img.manifest, [img.layer]).then(
          () => 'pushed',
          (e: unknown) => (e instanceof QuotaRefusal ? 'refused' : Promise.reject(e)),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'pushed')).toHaveLength(5);
    const quota = (await quotasRepo.findByProject(db.knex, p.id))!;
    expect(await used(p.id)).toBe(quota.hard);
    expect(await db.knex('artifacts').where({ project_id: p.id }).count<Array<{ count: string | number }>>('* as count').then((r) => Number(r[0]!.count))).toBe(5);
  });

  it('does not let concurrent uploads and pushes overshoot the limit, and charges whatever is stored', async () => {
    const p = await project(100);
    const images = Array.from({ length: 12 }, (_, i) => ({ layer: `layer-${String(i).padStart(4, '0')}`, manifest: `manif-${String(i).padStart(4, '0')}` }));
    await Promise.all(
      images.map(async (img, i) => {
        if ((await link(p, `r${i % 3}`, img.layer)).get(0)?.refused) return;
        await push(p, `r${i % 3}`, img.manifest, [img.layer]).catch((e: unknown) => (e instanceof QuotaRefusal ? undefined : Promise.reject(e)));
      }),
    );
    expect(await used(p.id)).toBeLessThanOrEqual(100);
    // Every stored artifact's manifest and blobs, and every linked blob, are paid for.
    const digests = new Set(await charged(p.id));
    for (const d of await db.knex('repository_blobs').where({ project_id: p.id }).pluck<string[]>('digest')) expect(digests.has(d)).toBe(true);
    for (const a of await db.knex('artifacts').where({ project_id: p.id }).select<Array<{ id: number; digest: string }>>('id', 'digest')) {
      expect(digests.has(a.digest)).toBe(true);
      for (const d of await db.knex('artifact_blobs').where({ artifact_id: a.id }).pluck<string[]>('digest')) expect(digests.has(d)).toBe(true);
    }
  });

  it('keeps usage exact when a limit is set while pushes to an unlimited project are under way', async () => {
    const p = await project();
    const quotaId = (await quotasRepo.findByProject(db.knex, p.id))!.id;
    const images = Array.from({ length: 12 }, (_, i) => ({ layer: `limit-layer-${String(i).padStart(3, '0')}`, manifest: `limit-manif-${String(i).padStart(3, '0')}` }));
    const pushes = images.map(async (img, i) => {
      if ((await link(p, `r${i % 4}`, img.layer)).get(0)?.refused) return;
      await push(p, `r${i % 4}`, img.manifest, [img.layer]).catch((e: unknown) => (e instanceof QuotaRefusal ? undefined : Promise.reject(e)));
    });
    // The limit arrives mid-way: pushes charged before it count, later ones are held to it.
    const limit = (async () => {
      await new Promise((r) => setTimeout(r, 5));
      expect(await quotasRepo.setHard(db.knex, quotaId, 200)).toBe(true);
    })();
    await Promise.all([...pushes, limit]);
    expect((await quotasRepo.findByProject(db.knex, p.id))!.hard).toBe(200);
    await used(p.id);
    // Setting the limit folded the unlimited project's pending charges into quotas.used.
    expect(await db.knex('quota_usage_deltas').where({ project_id: p.id }).first()).toBeUndefined();
  });

  it('keeps charges and references consistent when deletes race pushes of the same blobs', async () => {
    const p = await project();
    const shared = ['shared-base-layer-x', 'shared-base-layer-y'];
    const first = await Promise.all(Array.from({ length: 6 }, (_, i) => image(p, 'race', `old-manifest-${i}`, shared)));
    // Delete the old artifacts while new ones naming the same blobs are pushed (their blobs stay linked).
    await Promise.all([
      ...first.map((a) => artifactsRepo.delete(db.knex, a.id)),
      ...Array.from({ length: 6 }, (_, i) => push(p, 'race', `new-manifest-${i}`, shared)),
    ]);
    const digests = new Set(await charged(p.id));
    for (const d of shared.map((s) => sha256(s))) expect(digests.has(d)).toBe(true);
    for (let i = 0; i < 6; i++) expect(digests.has(sha256(`new-manifest-${i}`))).toBe(true);
    for (let i = 0; i < 6; i++) expect(digests.has(sha256(`old-manifest-${i}`))).toBe(false);
    expect(await used(p.id)).toBe(shared.reduce((a, s) => a + s.length, 0) + 6 * 'new-manifest-0'.length);
  });
});
