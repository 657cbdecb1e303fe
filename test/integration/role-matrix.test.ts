import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type RoleId } from '../../server/auth/permissions.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import { OciTestClient, errorCodes, sha256 } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Walks every /v2 operation for every kind of caller on a public and a private project, and checks allow or
 * deny against Harbor's role semantics, written out here independently of the permission table under test:
 * everyone reads public projects; members of any role read their private project; Developer and up push;
 * Maintainer and up delete; system administrators do everything.
 */
type Caller = 'anonymous' | 'nonMember' | 'limitedGuest' | 'guest' | 'developer' | 'maintainer' | 'projectAdmin' | 'admin';
type Capability = 'read' | 'push' | 'delete';

const callerRoles: Partial<Record<Caller, RoleId>> = {
  limitedGuest: roles.limitedGuest,
  guest: roles.guest,
  developer: roles.developer,
  maintainer: roles.maintainer,
  projectAdmin: roles.projectAdmin,
};

function expected(caller: Caller, isPublic: boolean, capability: Capability): boolean {
  if (caller === 'admin') return true;
  const rank: Record<Capability, Caller[]> = {
    read: ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'],
    push: ['developer', 'maintainer', 'projectAdmin'],
    delete: ['maintainer', 'projectAdmin'],
  };
  if (rank[capability].includes(caller)) return true;
  return capability === 'read' && isPublic;
}

const password = 'Matrix-Passw0rd';
const callers: Caller[] = ['anonymous', 'nonMember', 'limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'admin'];

describe('role matrix on /v2', () => {
  let server: TestServer;
  let admin: OciTestClient;
  const clients = new Map<Caller, OciTestClient>();
  const images = new Map<string, { digest: string; manifest: Buffer; layer: string }>();

  beforeAll(async () => {
    server = await createTestServer();
    admin = new OciTestClient(server.url, server.adminAuth);
    const pub = await server.services.projects.ensure('pub', true, null);
    const priv = await server.services.projects.ensure('priv', false, null);
    for (const caller of callers) {
      if (caller === 'admin') clients.set(caller, admin);
      else if (caller === 'anonymous') clients.set(caller, new OciTestClient(server.url));
      else {
        await server.services.users.createIfMissing(caller, password, false);
        const user = (await usersRepo.findByName(server.services.db.knex, caller))!;
        const role = callerRoles[caller];
        if (role) for (const p of [pub, priv]) await server.services.members.setUserRole(p.id, user.id, role);
        clients.set(caller, new OciTestClient(server.url, `Basic ${Buffer.from(`${caller}:${password}`).toString('base64')}`));
      }
    }
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

  it.each(callers.map((c) => [c, expected(c, false, 'read')] as const))('catalog for %s lists the private repository: %s', async (caller, visible) => {
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
