import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, basic, type ApiCall } from '../helpers/api-client.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

interface Search {
  project: Array<{ name: string; repo_count: number; current_user_role_id: number; metadata: { public: string } }>;
  repository: Array<{ project_id: number; project_name: string; project_public: boolean; repository_name: string; pull_count: number; artifact_count: number }>;
}

describe.each(databaseKinds)('search and statistics on %s', (database) => {
  let server: TestServer;
  let api: ApiCall;
  const member = basic('ss-member', 'Member-Passw0rd');
  const outsider = basic('ss-outsider', 'Outsider-Passw0rd');

  const search = async (q: string, auth?: string | null): Promise<Search> => {
    const res = await api('GET', `/search?q=${encodeURIComponent(q)}`, undefined, auth);
    expect(res.status).toBe(200);
    return (await res.json()) as Search;
  };
  const statistics = async (auth?: string | null) => {
    const res = await api('GET', '/statistics', undefined, auth);
    return { status: res.status, body: (await res.json()) as Record<string, number> };
  };

  beforeAll(async () => {
    server = await createTestServer({ database });
    api = apiClient(server);
    const oci = new OciTestClient(server.url, server.adminAuth);
    const hidden = await server.services.projects.ensure('webteam', false, null);
    await server.services.projects.ensure('webempty', false, null);
    for (const [name, password] of [['ss-member', 'Member-Passw0rd'], ['ss-outsider', 'Outsider-Passw0rd']] as const) await server.services.users.createIfMissing(name, password, false);
    const user = (await server.services.db.knex('users').where({ username: 'ss-member' }).first<{ id: number }>('id'))!;
    await server.services.members.setUserRole(hidden.id, user.id, 2);
    for (const repo of ['library/web-frontend', 'library/api', 'webteam/web-backend', 'webteam/tools']) await oci.pushImage(repo, 'v1');
    // Usage is kept by the quota engine; here every project is simply given 1000 bytes.
    await server.services.db.knex.raw('insert into quotas (project_id) select id from projects on conflict do nothing');
    await server.services.db.knex('quotas').update({ used: 1000 });
  });
  afterAll(async () => server?.stop());

  it('finds the projects and repositories the caller may see whose names contain q', async () => {
    const admin = await search('web');
    expect(admin.project.map((p) => p.name)).toEqual(['webempty', 'webteam']);
    expect(admin.repository.map((r) => r.repository_name)).toEqual(['library/web-frontend', 'webteam/tools', 'webteam/web-backend']);
    expect(admin.repository[0]).toEqual({ project_id: 1, project_name: 'library', project_public: true, repository_name: 'library/web-frontend', pull_count: 0, artifact_count: 1 });
    expect(admin.project.find((p) => p.name === 'webteam')).toMatchObject({ repo_count: 2, metadata: { public: 'false' } });

    const asMember = await search('web', member);
    expect(asMember.project.map((p) => [p.name, p.current_user_role_id])).toEqual([['webteam', 2]]);
    expect(asMember.repository.map((r) => r.repository_name)).toEqual(['library/web-frontend', 'webteam/tools', 'webteam/web-backend']);

    for (const auth of [outsider, null]) {
      const visible = await search('web', auth);
      expect(visible.project).toEqual([]);
      expect(visible.repository.map((r) => r.repository_name)).toEqual(['library/web-frontend']);
    }
    expect((await search('WEB-FRONT')).repository.map((r) => r.repository_name)).toEqual(['library/web-frontend']);
    expect((await search('')).project.map((p) => p.name)).toEqual(['library', 'webempty', 'webteam']);
    expect((await api('GET', '/search')).status).toBe(400);
    expect((await api('GET', `/search?q=${'x'.repeat(300)}`)).status).toBe(400);
  });

  it('counts what the caller may see; storage consumption for administrators only', async () => {
    expect(await statistics()).toEqual({
      status: 200,
      body: { public_project_count: 1, public_repo_count: 2, private_project_count: 2, private_repo_count: 2, total_project_count: 3, total_repo_count: 4, total_storage_consumption: 3000 },
    });
    expect((await statistics(member)).body).toEqual({ public_project_count: 1, public_repo_count: 2, private_project_count: 1, private_repo_count: 2, total_project_count: 2, total_repo_count: 4 });
    expect((await statistics(outsider)).body).toEqual({ public_project_count: 1, public_repo_count: 2, private_project_count: 0, private_repo_count: 0, total_project_count: 1, total_repo_count: 2 });
    expect((await statistics(null)).status).toBe(401);
  });
});
