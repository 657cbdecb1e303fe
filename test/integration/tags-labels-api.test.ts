import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, type PushedImage } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

interface Tag {
  id: number;
  repository_id: number;
  artifact_id: number;
  name: string;
  push_time: string;
  pull_time: string;
  immutable: boolean;
}
interface Label {
  id: number;
  name: string;
  description: string;
  color: string;
  scope: string;
  project_id: number;
  creation_time: string;
  update_time: string;
}

describe.each(databaseKinds)('tags and labels on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  const events: DomainEvent[] = [];
  let image: PushedImage;
  let other: PushedImage;
  let teamId: number;
  const maintainer = basic('tl-maintainer', 'Maint-Passw0rd');
  const guest = basic('tl-guest', 'Guest-Passw0rd');
  const art = '/projects/team/repositories/app/artifacts';

  const tags = async (path: string): Promise<{ names: string[]; total: string | null; body: Tag[] }> => {
    const res = await api('GET', path);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Tag[];
    return { names: body.map((t) => t.name), total: res.headers.get('x-total-count'), body };
  };
  const v2Tags = async (): Promise<string[]> => ((await (await oci.request('GET', '/v2/team/app/tags/list')).json()) as { tags: string[] }).tags;
  const createLabel = async (body: Record<string, unknown>, auth: string | null = server.adminAuth): Promise<Response> => api('POST', '/labels', body, auth);
  const idFrom = (res: Response): number => Number(res.headers.get('location')!.split('/').pop());

  beforeAll(async () => {
    server = await createTestServer({ database });
    server.services.events.on('*', (e) => void events.push(e));
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    teamId = (await server.services.projects.ensure('team', false, null)).id;
    await server.services.projects.ensure('other', false, null);
    for (const [name, role] of [['tl-maintainer', 4], ['tl-guest', 3]] as const) {
      await server.services.users.createIfMissing(name, name === 'tl-maintainer' ? 'Maint-Passw0rd' : 'Guest-Passw0rd', false);
      const user = (await server.services.db.knex('users').where({ username: name }).first<{ id: number }>('id'))!;
      await server.services.members.setUserRole(teamId, user.id, role);
    }
    image = await oci.pushImage('team/app', 'v1');
    other = await oci.pushImage('team/app', 'other');
  });
  afterAll(async () => server?.stop());

  describe('tags', () => {
    it('creates tags on an artifact through the registry, visible to /v2 at once', async () => {
      // Warm the registry's tag caches first, so a stale cache would show.
      expect(await v2Tags()).toEqual(['other', 'v1']);
      expect((await oci.request('HEAD', '/v2/team/app/manifests/v1.1')).status).toBe(404);
      for (const name of ['v1.1', 'latest', 'a-first']) expect((await api('POST', `${art}/v1/tags`, { name })).status).toBe(201);
      expect(await v2Tags()).toEqual(['a-first', 'latest', 'other', 'v1', 'v1.1']);
      const head = await oci.request('HEAD', '/v2/team/app/manifests/v1.1');
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(image.digest);
      const created = events.filter((e) => e.name === 'tag.created');
      expect(created.map((e) => [(e.data as { tags: string[] }).tags[0], e.operator, (e.data as { digest: string }).digest])).toEqual([
        ['v1.1', 'admin', image.digest],
        ['latest', 'admin', image.digest],
        ['a-first', 'admin', image.digest],
      ]);
    });

    it('refuses a tag the repository has already (409), whichever artifact holds it, and bad names (400)', async () => {
      const same = await api('POST', `${art}/v1/tags`, { name: 'latest' });
      expect(same.status).toBe(409);
      expect(await apiErrorCode(same)).toBe('CONFLICT');
      expect((await api('POST', `${art}/other/tags`, { name: 'v1' })).status).toBe(409);
      expect((await oci.request('HEAD', '/v2/team/app/manifests/v1')).headers.get('docker-content-digest')).toBe(image.digest);
      for (const body of [{ name: '-bad' }, { name: 'x'.repeat(129) }, { name: 'a/b' }, {}, { name: 'ok', extra: 1 }, { name: 5 }]) {
        const res = await api('POST', `${art}/v1/tags`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(await apiErrorCode(res)).toBe('BAD_REQUEST');
      }
    });

    it('lists the tags of an artifact, paged, filtered and sorted', async () => {
      const all = await tags(`${art}/${image.digest}/tags?sort=name`);
      expect(all.names).toEqual(['a-first', 'latest', 'v1', 'v1.1']);
      expect(all.total).toBe('4');
      expect(all.body[0]).toMatchObject({ artifact_id: expect.any(Number), immutable: false, pull_time: '0001-01-01T00:00:00.000Z' });
      const page = await tags(`${art}/v1/tags?sort=-name&page=2&page_size=3`);
      expect(page.names).toEqual(['a-first']);
      expect(page.total).toBe('4');
      expect((await tags(`${art}/v1/tags?q=name%3D~v1&sort=name`)).names).toEqual(['v1', 'v1.1']);
      // Newest push first by default.
      expect((await tags(`${art}/v1/tags`)).names).toEqual(['a-first', 'latest', 'v1.1', 'v1']);
      expect((await tags(`${art}/v1/tags?with_immutable_status=true`)).body.every((t) => t.immutable === false)).toBe(true);
      expect((await api('GET', `${art}/v1/tags?sort=secret`)).status).toBe(400);
    });

    it('deletes a tag of the artifact only, through the registry (the artifact stays)', async () => {
      const wrong = await api('DELETE', `${art}/other/tags/latest`);
      expect(wrong.status).toBe(404);
      expect((await api('DELETE', `${art}/v1/tags/nope`)).status).toBe(404);
      expect((await api('DELETE', `${art}/v1/tags/latest`)).status).toBe(200);
      expect(await v2Tags()).toEqual(['a-first', 'other', 'v1', 'v1.1']);
      expect((await oci.request('HEAD', '/v2/team/app/manifests/latest')).status).toBe(404);
      expect((await oci.request('HEAD', `/v2/team/app/manifests/${image.digest}`)).status).toBe(200);
      expect(events.find((e) => e.name === 'tag.deleted')?.data).toMatchObject({ tags: ['latest'], digest: image.digest, repository: 'team/app' });
    });

    it('lets a Guest list tags but not create or delete them', async () => {
      expect((await api('GET', `${art}/v1/tags`, undefined, guest)).status).toBe(200);
      expect((await api('POST', `${art}/v1/tags`, { name: 'g' }, guest)).status).toBe(403);
      expect((await api('DELETE', `${art}/v1/tags/v1.1`, undefined, guest)).status).toBe(403);
    });
  });

  describe('labels', () => {
    let globalId: number;
    let teamLabel: number;
    let otherLabel: number;

    it('creates global labels for administrators only', async () => {
      const res = await createLabel({ name: 'release', color: '#61717D', description: 'shipped', scope: 'g' });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toMatch(/^\/api\/v2\.0\/labels\/\d+$/);
      globalId = idFrom(res);
      expect((await createLabel({ name: 'x', scope: 'g' }, maintainer)).status).toBe(403);
      expect((await createLabel({ name: 'x', scope: 'g' }, null)).status).toBe(401);
      expect((await createLabel({ name: 'release', scope: 'g' })).status).toBe(409);
      const label = (await (await api('GET', `/labels/${globalId}`, undefined, guest)).json()) as Label;
      expect(label).toMatchObject({ id: globalId, name: 'release', color: '#61717D', description: 'shipped', scope: 'g', project_id: 0 });
    });

    it('creates project labels for those holding label:create there, unique per project', async () => {
      const res = await createLabel({ name: 'release', scope: 'p', project_id: teamId }, maintainer);
      expect(res.status).toBe(201);
      teamLabel = idFrom(res);
      expect((await createLabel({ name: 'qa', scope: 'p', project_id: teamId }, guest)).status).toBe(403);
      expect((await createLabel({ name: 'release', scope: 'p', project_id: teamId }, maintainer)).status).toBe(409);
      const otherProject = (await server.services.projects.findByName('other'))!.id;
      const elsewhere = await createLabel({ name: 'release', scope: 'p', project_id: otherProject });
      expect(elsewhere.status).toBe(201);
      otherLabel = idFrom(elsewhere);
      expect((await createLabel({ name: 'x', scope: 'p', project_id: otherProject }, maintainer)).status).toBe(403);
      expect((await createLabel({ name: 'x', scope: 'p', project_id: 999999 })).status).toBe(404);
      expect(events.filter((e) => e.name === 'label.created').map((e) => (e.data as { scope: string }).scope)).toEqual(['g', 'p', 'p']);
    });

    it('lists labels by scope and project, filtered by name and paged', async () => {
      for (const name of ['qa', 'qa-passed', 'beta']) expect((await createLabel({ name, scope: 'p', project_id: teamId }, maintainer)).status).toBe(201);
      const res = await api('GET', `/labels?scope=p&project_id=${teamId}&page_size=2&sort=name`, undefined, guest);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-total-count')).toBe('4');
      expect(((await res.json()) as Label[]).map((l) => l.name)).toEqual(['beta', 'qa']);
      const named = (await (await api('GET', `/labels?scope=p&project_id=${teamId}&name=qa`, undefined, guest)).json()) as Label[];
      expect(named.map((l) => l.name).sort()).toEqual(['qa', 'qa-passed']);
      const global = (await (await api('GET', '/labels?scope=g', undefined, null)).json()) as Label[];
      expect(global.map((l) => l.name)).toEqual(['release']);
      expect((await api('GET', `/labels?scope=p&project_id=${teamId}`, undefined, null)).status).toBe(401);
      expect((await api('GET', '/labels?scope=p')).status).toBe(400);
      expect((await api('GET', '/labels?scope=x')).status).toBe(400);
    });

    it('updates name, colour and description, not scope; 409 on a taken name', async () => {
      expect((await api('PUT', `/labels/${teamLabel}`, { name: 'released', color: '#000', description: 'done' }, maintainer)).status).toBe(200);
      expect(await (await api('GET', `/labels/${teamLabel}`, undefined, guest)).json()).toMatchObject({ name: 'released', color: '#000', description: 'done', scope: 'p', project_id: teamId });
      expect((await api('PUT', `/labels/${teamLabel}`, { name: 'qa' }, maintainer)).status).toBe(409);
      expect((await api('PUT', `/labels/${teamLabel}`, { scope: 'g' }, maintainer)).status).toBe(400);
      expect((await api('PUT', `/labels/${globalId}`, { name: 'x' }, maintainer)).status).toBe(403);
      expect((await api('PUT', `/labels/${teamLabel}`, { name: 'y' }, guest)).status).toBe(403);
    });

    it('attaches global and own-project labels to artifacts, shows them with with_label and filters by them', async () => {
      expect((await api('POST', `${art}/v1/labels`, { id: globalId }, maintainer)).status).toBe(200);
      expect((await api('POST', `${art}/v1/labels`, { id: teamLabel }, maintainer)).status).toBe(200);
      expect((await api('POST', `${art}/other/labels`, { id: teamLabel }, maintainer)).status).toBe(200);
      expect((await api('POST', `${art}/v1/labels`, { id: globalId }, maintainer)).status).toBe(409);
      expect((await api('POST', `${art}/v1/labels`, { id: otherLabel })).status).toBe(404);
      expect((await api('POST', `${art}/v1/labels`, { id: 999999 })).status).toBe(404);
      expect((await api('POST', `${art}/v1/labels`, { id: globalId }, guest)).status).toBe(403);
      const listed = (await (await api('GET', `${art}?with_label=true&sort=digest`)).json()) as Array<{ digest: string; labels: Label[] }>;
      const byDigest = new Map(listed.map((a) => [a.digest, a.labels.map((l) => l.name).sort()]));
      expect(byDigest.get(image.digest)).toEqual(['release', 'released']);
      expect(byDigest.get(other.digest)).toEqual(['released']);
      const both = (await (await api('GET', `${art}?q=${encodeURIComponent(`labels=(${globalId} ${teamLabel})`)}`)).json()) as Array<{ digest: string }>;
      expect(both.map((a) => a.digest)).toEqual([image.digest]);
      const either = (await (await api('GET', `${art}?q=${encodeURIComponent(`labels={${globalId} ${teamLabel}}`)}`)).json()) as Array<{ digest: string }>;
      expect(either.map((a) => a.digest).sort()).toEqual([image.digest, other.digest].sort());
      expect((await api('GET', `${art}?q=labels%3D(x)`)).status).toBe(400);
      const labeled = events.filter((e) => e.name === 'artifact.labeled');
      expect(labeled.map((e) => (e.data as { label: string }).label)).toEqual(['release', 'released', 'released']);
    });

    it('detaches labels, and deleting a label detaches it everywhere', async () => {
      expect((await api('DELETE', `${art}/v1/labels/${globalId}`, undefined, maintainer)).status).toBe(200);
      expect((await api('DELETE', `${art}/v1/labels/${globalId}`, undefined, maintainer)).status).toBe(404);
      expect(events.some((e) => e.name === 'artifact.unlabeled' && (e.data as { labelId: number }).labelId === globalId)).toBe(true);
      expect((await api('DELETE', `/labels/${teamLabel}`, undefined, guest)).status).toBe(403);
      expect((await api('DELETE', `/labels/${teamLabel}`, undefined, maintainer)).status).toBe(200);
      expect((await api('GET', `/labels/${teamLabel}`)).status).toBe(404);
      const listed = (await (await api('GET', `${art}?with_label=true`)).json()) as Array<{ labels: Label[] }>;
      expect(listed.flatMap((a) => a.labels)).toEqual([]);
      expect(events.some((e) => e.name === 'label.deleted' && (e.data as { labelId: number }).labelId === teamLabel)).toBe(true);
    });
  });
});
