import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../helpers/oci-client.ts';
import { listFiles, uploadIds } from './storage-files.ts';
import {
  checkRow,
  client,
  eventually,
  f,
  mustNotExist,
  openedSessions,
  otherRepo,
  repo,
  server,
  serverErrors,
  sessionsToCheck,
  setUpTable,
  uploadRange,
  uploads,
  type Row,
} from './bad-input/table.ts';
import { authRows, paginationRows } from './bad-input/auth-and-pagination.ts';
import { digestRows } from './bad-input/digests.ts';
import { manifestRows } from './bad-input/manifests.ts';
import { methodRows } from './bad-input/methods.ts';
import { repositoryNameRows, tagRows } from './bad-input/names-and-tags.ts';
import { rangeRows } from './bad-input/ranges.ts';
import { contentRangeRows, truncatedBodyRows, uploadSessionRows } from './bad-input/uploads.ts';

/**
 * Malformed, hostile and half-finished requests against /v2. Every request is written by hand over a socket
 * (node:net, ../helpers/raw-http.ts) so that nothing normalises it on the way: fetch would resolve `..` and `%2e%2e`
 * in paths, refuse a Content-Length that lies and never send a truncated body.
 *
 * The rows live in ./bad-input/, one module per subject; they all run here, in this order, against one server, so
 * that the checks after the table see everything every row left behind.
 */

const rows: Row[] = [
  ...digestRows,
  ...truncatedBodyRows,
  ...contentRangeRows,
  ...rangeRows,
  ...manifestRows,
  ...repositoryNameRows,
  ...tagRows,
  ...uploadSessionRows,
  ...authRows,
  ...paginationRows,
  ...methodRows,
];

describe('bad input on /v2', () => {
  beforeAll(setUpTable);
  afterAll(async () => server?.stop());

  it.each(rows)('$name', async (row) => checkRow(row));

  describe('after the table, nothing half-written is visible', () => {
    it('no rejected blob can be found, by HEAD or in storage', async () => {
      expect(mustNotExist.blobs.size).toBeGreaterThan(5);
      const blobFiles = new Set(await listFiles(path.join(server.dataDir, 'storage', 'blobs')));
      for (const digest of mustNotExist.blobs) {
        const res = await client.request('HEAD', `/v2/${repo}/blobs/${digest}`);
        expect(res.status, `HEAD ${digest}`).toBe(404);
        expect([...blobFiles].some((file) => file.includes(digest.slice(7))), `blob file for ${digest}`).toBe(false);
        const rows = await server.services.db.knex('blobs').where({ digest }).count<Array<{ count: string | number }>>('* as count');
        expect(Number(rows[0]!.count), `blobs row for ${digest}`).toBe(0);
      }
    });

    it('no rejected manifest resolves, by tag or by digest', async () => {
      expect(mustNotExist.manifests.size).toBeGreaterThan(5);
      for (const ref of mustNotExist.manifests) {
        const res = await client.request('HEAD', `/v2/${repo}/manifests/${ref}`);
        expect([400, 404], `HEAD manifest ${ref}`).toContain(res.status);
        const get = await client.request('GET', `/v2/${repo}/manifests/${ref}`);
        expect([400, 404], `GET manifest ${ref}`).toContain(get.status);
      }
      const tags = (await (await client.request('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      for (const ref of mustNotExist.manifests) expect(tags.tags).not.toContain(decodeURIComponent(ref));
      // The control rows did land, so the list is not empty by accident.
      expect(tags.tags).toEqual(expect.arrayContaining(['v1', 'with-unknown-subject', 'four-mib', 'T'.repeat(128)]));
    });

    it('the uploads folder holds only live upload sessions (no leftovers of monolithic pushes)', async () => {
      await eventually(async () => {
        const ids = await uploadIds(server.dataDir);
        expect(ids.filter((id) => !openedSessions.has(id))).toEqual([]);
      });
    });

    it('upload sessions hit by bad chunks still hold exactly what was accepted, and can be finished', async () => {
      expect(sessionsToCheck.size).toBeGreaterThanOrEqual(5);
      for (const [id, accepted] of sessionsToCheck) {
        await eventually(async () => {
          const { status, range } = await uploadRange(repo, id);
          expect(status, `GET upload ${id}`).toBe(204);
          expect(range, `Range of upload ${id}`).toBe(`0-${accepted.length - 1}`);
        });
        // Finishing the session gives exactly the accepted bytes plus the rest: nothing of the bad chunk stayed.
        const rest = randomBytes(500);
        const full = Buffer.concat([accepted, rest]);
        const patch = await client.request('PATCH', uploads(repo, id), {
          body: rest,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${accepted.length}-${full.length - 1}` },
        });
        expect(patch.status, `PATCH after the bad chunk on ${id}`).toBe(202);
        const put = await client.request('PUT', `${uploads(repo, id)}?digest=${sha256(full)}`);
        expect(put.status, `closing PUT on ${id}`).toBe(201);
        const blob = await client.request('GET', `/v2/${repo}/blobs/${sha256(full)}`);
        expect(Buffer.from(await blob.arrayBuffer()).equals(full)).toBe(true);
      }
    });

    it('an upload id from another repository was not touched by the foreign requests', async () => {
      const { status, range } = await uploadRange(otherRepo, f.otherSession);
      expect(status).toBe(204);
      expect(range).toBe('0-0');
      const data = randomBytes(300);
      const put = await client.request('PUT', `${uploads(otherRepo, f.otherSession)}?digest=${sha256(data)}`, {
        body: data,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.status).toBe(201);
    });

    it('no request of the table was a server failure, not even those whose client hung up mid-body', async () => {
      // Give aborted requests time to unwind: their handlers finish after the socket is gone.
      await new Promise((r) => setTimeout(r, 300));
      expect(serverErrors).toEqual([]);
    });

    it('the fixture image is intact', async () => {
      const res = await client.request('GET', `/v2/${repo}/manifests/v1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest')).toBe(f.imageDigest);
      const blob = await client.request('GET', `/v2/${repo}/blobs/${f.layerDigest}`);
      expect(Buffer.from(await blob.arrayBuffer())).toEqual(f.layer);
    });
  });
});
