import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../server/events/event-types.ts';
import { apiClient, apiErrorCode, basic, type ApiCall } from '../helpers/api-client.ts';
import { pushCosignSignature, pushIndex } from '../helpers/artifact-fixtures.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

interface Repository {
  id: number;
  project_id: number;
  name: string;
  description: string;
  artifact_count: number;
  pull_count: number;
  creation_time: string;
  update_time: string;
}

describe.each(databaseKinds)('repositories API on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  let oci: OciTestClient;
  const events: DomainEvent[] = [];
  const member = basic('repo-member', 'Member-Passw0rd');
  const outsider = basic('repo-outsider', 'Outsider-Passw0rd');

  const list = async (path: string, auth?: string | null): Promise<{ names: string[]; total: string | null; link: string | null; body: Repository[] }> => {
    const res = await api('GET', path, undefined, auth);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as Repository[];
    return { names: body.map((r) => r.name), total: res.headers.get('x-total-count'), link: res.headers.get('link'), body };
  };

  beforeAll(async () => {
    server = await createTestServer({ database });
    server.services.events.on('*', (e) => void events.push(e));
    api = apiClient(server);
    oci = new OciTestClient(server.url, server.adminAuth);
    const priv = await server.services.projects.ensure('secret', false, null);
    for (const [name, password] of [['repo-member', 'Member-Passw0rd'], ['repo-outsider', 'Outsider-Passw0rd']] as const) await server.services.users.createIfMissing(name, password, false);
    const user = (await server.services.db.knex('users').where({ username: 'repo-member' }).first<{ id: number }>('id'))!;
    await server.services.members.setUserRole(priv.id, user.id, 3);
    // Oldest first: library/alpha, library/team/app, library/zeta, secret/hidden.
    for (const repo of ['library/alpha', 'library/team/app', 'library/zeta', 'secret/hidden']) {
      await oci.pushImage(repo, 'v1');
      await new Promise((r) => setTimeout(r, 5));
    }
    const image = await oci.pushImage('library/alpha', 'v2');
    await pushCosignSignature(oci, 'library/alpha', image.digest);
    await pushIndex(oci, 'library/alpha', 'multi');
    // Pull counts are written by the pull-statistics batcher; here they are set directly.
    const alpha = await server.services.db.knex('repositories').where({ name: 'library/alpha' }).first<{ id: number }>('id');
    await server.services.db.knex('artifacts').where({ repository_id: alpha!.id }).update({ pull_count: 3 });
  });
  afterAll(async () => server?.stop());

  it('lists every repository the caller may see, newest first, with X-Total-Count', async () => {
    const admin = await list('/repositories');
    expect(admin.names).toEqual(['secret/hidden', 'library/zeta', 'library/team/app', 'library/alpha']);
    expect(admin.total).toBe('4');
    expect((await list('/repositories', member)).names).toEqual(['secret/hidden', 'library/zeta', 'library/team/app', 'library/alpha']);
    expect((await list('/repositories', outsider)).names).toEqual(['library/zeta', 'library/team/app', 'library/alpha']);
    expect((await list('/repositories', null)).names).toEqual(['library/zeta', 'library/team/app', 'library/alpha']);
  });

  it('counts the artifacts the artifact list shows, and sums their pull counts', async () => {
    const alpha = (await list('/projects/library/repositories?q=name%3Dlibrary%2Falpha')).body[0]!;
    // v1, v2 and the index: not the signature nor the index's untagged children.
    expect(alpha).toMatchObject({ name: 'library/alpha', project_id: 1, artifact_count: 3, description: '' });
    // Five artifacts (v1, v2, the index and its two children) and the signature, three pulls each.
    expect(alpha.pull_count).toBe(6 * 3);
    expect(new Date(alpha.creation_time).getTime()).toBeGreaterThan(0);
  });

  it('pages, filters with q and sorts the repositories of a project', async () => {
    const first = await list('/projects/library/repositories?page=1&page_size=2&sort=name');
    expect(first.names).toEqual(['library/alpha', 'library/team/app']);
    expect(first.total).toBe('3');
    expect(first.link).toBe('</api/v2.0/projects/library/repositories?page=2&page_size=2&sort=name>; rel="next"');
    const second = await list('/projects/library/repositories?page=2&page_size=2&sort=name');
    expect(second.names).toEqual(['library/zeta']);
    expect(second.link).toBe('</api/v2.0/projects/library/repositories?page=1&page_size=2&sort=name>; rel="prev"');
    expect((await list('/projects/library/repositories?q=name%3D~team')).names).toEqual(['library/team/app']);
    expect((await list('/projects/library/repositories?q=name%3D%7Blibrary%2Fzeta%20library%2Falpha%7D&sort=-name')).names).toEqual(['library/zeta', 'library/alpha']);
    expect((await list('/projects/library/repositories?sort=-pull_count,name')).names).toEqual(['library/alpha', 'library/team/app', 'library/zeta']);
    expect((await list('/projects/library/repositories?q=creation_time%3D%5B2000-01-01%2000%3A00%3A00~2999-01-01%2000%3A00%3A00%5D')).total).toBe('3');
    expect((await list('/projects/library/repositories?page=9')).names).toEqual([]);
  });

  it('gets a repository by its name inside the project, double-encoded when it has slashes', async () => {
    const res = await api('GET', '/projects/library/repositories/team%252Fapp');
    expect(res.status).toBe(200);
    expect(((await res.json()) as Repository).name).toBe('library/team/app');
    expect((await api('GET', '/projects/library/repositories/nothing')).status).toBe(404);
    expect((await api('GET', '/projects/secret/repositories/hidden', undefined, outsider)).status).toBe(403);
    expect((await api('GET', '/projects/secret/repositories/hidden', undefined, null)).status).toBe(401);
    expect((await api('GET', '/projects/secret/repositories/hidden', undefined, member)).status).toBe(200);
  });

  it('changes only the description, taking back the whole Repository it served', async () => {
    const before = (await (await api('GET', '/projects/library/repositories/zeta')).json()) as Repository;
    const res = await api('PUT', '/projects/library/repositories/zeta', { ...before, description: 'the last one' });
    expect(res.status).toBe(200);
    const after = (await (await api('GET', '/projects/library/repositories/zeta')).json()) as Repository;
    expect(after).toMatchObject({ id: before.id, name: 'library/zeta', description: 'the last one' });
    expect(new Date(after.update_time).getTime()).toBeGreaterThanOrEqual(new Date(before.update_time).getTime());
    const renamed = await api('PUT', '/projects/library/repositories/zeta', { name: 'library/other' });
    expect(renamed.status).toBe(400);
    expect(events.some((e) => e.name === 'repository.updated' && (e.data as { repository: string }).repository === 'library/zeta')).toBe(true);
  });

  it('deletes a repository with every artifact through the artifact delete path, then the repository', async () => {
    const res = await api('DELETE', '/projects/library/repositories/alpha');
    expect(res.status).toBe(200);
    expect((await api('GET', '/projects/library/repositories/alpha')).status).toBe(404);
    expect((await oci.request('GET', '/v2/library/alpha/tags/list')).status).toBe(404);
    expect((await oci.request('HEAD', '/v2/library/alpha/manifests/v1')).status).toBe(404);
    const rows = await server.services.db.knex('artifacts as a').join('repositories as r', 'r.id', 'a.repository_id').where('r.name', 'library/alpha').count<Array<{ count: unknown }>>('* as count');
    expect(Number(rows[0]!.count)).toBe(0);
    const deleted = events.filter((e) => e.name === 'artifact.deleted' && (e.data as { repository: string }).repository === 'library/alpha');
    expect(deleted).toHaveLength(6);
    const repoDeleted = events.find((e) => e.name === 'repository.deleted');
    expect(repoDeleted?.data).toMatchObject({ repository: 'library/alpha', artifacts: 6, projectName: 'library' });
    expect((await api('DELETE', '/projects/library/repositories/alpha')).status).toBe(404);
    // The repository can be pushed again.
    await oci.pushImage('library/alpha', 'again');
    expect(((await (await api('GET', '/projects/library/repositories/alpha')).json()) as Repository).artifact_count).toBe(1);
  });

  it('refuses what a Guest may not do to a repository', async () => {
    const put = await api('PUT', '/projects/secret/repositories/hidden', { description: 'x' }, member);
    expect(put.status).toBe(403);
    expect(await apiErrorCode(put)).toBe('FORBIDDEN');
    expect((await api('DELETE', '/projects/secret/repositories/hidden', undefined, member)).status).toBe(403);
  });
});
