import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../server/auth/permissions.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import { OciTestClient, errorCodes, sha256 } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { callers, setUpCallers, type Caller } from '../helpers/role-fixture.ts';

/**
 * Walks every /v2 operation for every kind of caller on a public and a private project, and checks allow or
 * deny against Harbor's role semantics, written out here independently of the permission table under test:
 * everyone reads public projects; members of any role read their private project; Developer and up push;
 * Maintainer and up delete; robots do what their permission list says; system administrators do everything.
 */
type Capability = 'read' | 'push' | 'delete';

function expected(caller: Caller, isPublic: boolean, capability: Capability): boolean {
  if (caller === 'admin' || caller === 'systemRobot') return true;
  const rank: Record<Capability, Caller[]> = {
    read: ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'],
    push: ['developer', 'maintainer', 'projectAdmin'],
    delete: ['maintainer', 'projectAdmin'],
  };
  if (rank[capability].includes(caller)) return true;
  // The project robot may pull and push in the private project only.
  if (caller === 'projectRobot' && !isPublic && capability !== 'delete') return true;
  return capability === 'read' && isPublic;
}

/** The catalog lists private repositories to members and administrators, not to robots. */
const seesPrivateCatalog = (caller: Caller): boolean => ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'admin'].includes(caller);

describe('role matrix on /v2', () => {
  let server: TestServer;
  let admin: OciTestClient;
  const clients = new Map<Caller, OciTestClient>();
  const images = new Map<string, { digest: string; manifest: Buffer; layer: string }>();

  beforeAll(async () => {
    server = await createTestServer();
    admin = new OciTestClient(server.url, server.adminAuth);
    for (const [caller, auth] of await setUpCallers(server)) clients.set(caller, new OciTestClient(server.url, auth ?? undefined));
    for (const project of ['pub', 'priv']) {
      const image = await admin.pushImage(`${project}/app`, 'v1');
      images.set(project, { digest: image.digest, manifest: image.manifest, layer: sha256(image.layers[0]!) });
    }
  });
  afterAll(async () => server?.stop());

  /** Every /v2 operation, the capability it needs, and how to tell it was allowed. */
  const operations: Array<{ name: string; capability: Capability; run(c: OciTestClient, project: string, caller: Caller): Promise<Response>; ok: number[] }> = [
    { name: 'GET manifest', capability: 'read', ok: [200], run: (c, p) => c.request('GET', `/v2/${p}/app/manifests/v1`) },
    { name: 'HEAD manifest', capability: 'read', ok: [200], run: (c, p) => c.request('HEAD', `/v2/${p}/app/manifests/v1`) },
    { name: 'GET blob', capability: 'read', ok: [200], run: (c, p) => c.request('GET', `/v2/${p}/app/blobs/${images.get(p)!.layer}`) },
    { name: 'GET tags list', capability: 'read', ok: [200], run: (c, p) => c.request('GET', `/v2/${p}/app/tags/list`) },
    { name: 'GET referrers', capability: 'read', ok: [200], run: (c, p) => c.request('GET', `/v2/${p}/app/referrers/${images.get(p)!.digest}`) },
    { name: 'POST upload', capability: 'push', ok: [202], run: (c, p) => c.request('POST', `/v2/${p}/app/blobs/uploads/`) },
    {
      name: 'POST monolithic blob',
      capability: 'push',
      ok: [201],
      run: (c, p) => {
        const data = randomBytes(32);
        return c.request('POST', `/v2/${p}/app/blobs/uploads/?digest=${sha256(data)}`, { body: data });
      },
    },
    { name: 'PUT manifest', capability: 'push', ok: [201], run: (c, p, caller) => c.putManifest(`${p}/app`, `by-${caller}`, images.get(p)!.manifest) },
    {
      name: 'DELETE tag',
      capability: 'delete',
      ok: [202],
      run: async (c, p, caller) => {
        await admin.putManifest(`${p}/app`, `doomed-${caller}`, images.get(p)!.manifest);
        return c.request('DELETE', `/v2/${p}/app/manifests/doomed-${caller}`);
      },
    },
    {
      name: 'DELETE blob',
      capability: 'delete',
      ok: [202],
      run: async (c, p, caller) => {
        const digest = await admin.pushBlob(`${p}/app`, Buffer.from(`blob for ${caller} in ${p}`));
        return c.request('DELETE', `/v2/${p}/app/blobs/${digest}`);
      },
    },
  ];

  const cells = callers.flatMap((caller) =>
    ['pub', 'priv'].flatMap((project) => operations.map((op) => ({ caller, project, op, allowed: expected(caller, project === 'pub', op.capability) }))),
  );

  it.each(cells.map((c) => [`${c.caller} ${c.op.name} on ${c.project}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    const res = await cell.op.run(clients.get(cell.caller)!, cell.project, cell.caller);
    if (cell.allowed) {
      expect(cell.op.ok, `status ${res.status}: ${await res.text()}`).toContain(res.status);
    } else if (cell.caller === 'anonymous') {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      if (cell.op.name !== 'HEAD manifest') expect(await errorCodes(res)).toEqual(['UNAUTHORIZED']);
    } else {
      expect(res.status).toBe(403);
      if (cell.op.name !== 'HEAD manifest') expect(await errorCodes(res)).toEqual(['DENIED']);
    }
  });

  it.each(callers.map((c) => [c, seesPrivateCatalog(c)] as const))('catalog for %s lists the private repository: %s', async (caller, visible) => {
    const res = await clients.get(caller)!.request('GET', '/v2/_catalog');
    const { repositories } = (await res.json()) as { repositories: string[] };
    expect(repositories).toContain('pub/app');
    expect(repositories.includes('priv/app')).toBe(visible);
  });

  it('applies a role change at once (the membership cache is invalidated)', async () => {
    const priv = (await server.services.projects.findByName('priv'))!;
    const user = (await usersRepo.findByName(server.services.db.knex, 'guest'))!;
    const guest = clients.get('guest')!;
    expect((await guest.request('POST', '/v2/priv/app/blobs/uploads/')).status).toBe(403);
    await server.services.members.setUserRole(priv.id, user.id, roles.developer);
    expect((await guest.request('POST', '/v2/priv/app/blobs/uploads/')).status).toBe(202);
    await server.services.members.removeUser(priv.id, user.id);
    expect((await guest.request('GET', '/v2/priv/app/manifests/v1')).status).toBe(403);
  });
});
