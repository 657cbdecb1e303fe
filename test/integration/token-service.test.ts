import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../server/auth/permissions.ts';
import { signJwt, keyIdOf } from '../../server/auth/jwt.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import { OciTestClient, errorCodes } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('GET /service/token and bearer tokens on /v2', () => {
  let server: TestServer;
  const guestAuth = basic('tguest', 'Guest-Passw0rd');

  beforeAll(async () => {
    server = await createTestServer();
    const priv = await server.services.projects.ensure('tpriv', false, null);
    await server.services.users.createIfMissing('tguest', 'Guest-Passw0rd', false);
    const guest = (await usersRepo.findByName(server.services.db.knex, 'tguest'))!;
    await server.services.members.setUserRole(priv.id, guest.id, roles.guest);
    const admin = new OciTestClient(server.url, server.adminAuth);
    await admin.pushImage('tpriv/app', 'v1');
    await admin.pushImage('library/app', 'v1');
  });
  afterAll(async () => server?.stop());

  async function token(scopes: string[], auth?: string): Promise<Response> {
    const query = new URLSearchParams([['service', 'berth-registry'], ...scopes.map((s) => ['scope', s] as [string, string])]);
    return fetch(`${server.url}/service/token?${query.toString()}`, { headers: auth ? { authorization: auth } : {} });
  }

  async function tokenFor(scopes: string[], auth?: string): Promise<string> {
    const res = await token(scopes, auth);
    expect(res.status).toBe(200);
    const body = (await res.json()) as TokenResponse;
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(1800);
    expect(Date.parse(body.issued_at)).not.toBeNaN();
    return body.token;
  }

  const v2 = (path: string, tok: string, method = 'GET'): Promise<Response> => fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${tok}` } });

  it('cuts the access claim down to what the role allows', async () => {
    const tok = await tokenFor(['repository:tpriv/app:pull,push,delete', 'repository:library/app:pull,push'], guestAuth);
    expect(claimsOf(tok)).toMatchObject({
      sub: 'tguest',
      aud: 'berth-registry',
      access: [
        { type: 'repository', name: 'tpriv/app', actions: ['pull'] },
        { type: 'repository', name: 'library/app', actions: ['pull'] },
      ],
    });
    expect((await v2('/v2/tpriv/app/manifests/v1', tok)).status).toBe(200);
    const push = await v2('/v2/tpriv/app/blobs/uploads/', tok, 'POST');
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toMatch(/scope="repository:tpriv\/app:pull,push",error="insufficient_scope"$/);
  });

  it('gives administrators every requested action and anonymous callers public pulls only', async () => {
    const admin = await tokenFor(['repository:tpriv/app:pull,push,*'], server.adminAuth);
    expect(claimsOf(admin).access).toEqual([{ type: 'repository', name: 'tpriv/app', actions: ['pull', 'push', '*'] }]);
    const anon = await tokenFor(['repository:tpriv/app:pull', 'repository:library/app:pull,push']);
    expect(claimsOf(anon).access).toEqual([{ type: 'repository', name: 'library/app', actions: ['pull'] }]);
    expect((await v2('/v2/library/app/manifests/v1', anon)).status).toBe(200);
    expect((await v2('/v2/tpriv/app/manifests/v1', anon)).status).toBe(401);
  });

  it('grants nothing for scopes it cannot read or repositories that do not exist', async () => {
    const tok = await tokenFor(['repository:nosuch/app:pull', 'garbage', 'repository:../x:pull', 'repository:tpriv/app:fly'], server.adminAuth);
    expect(claimsOf(tok).access).toEqual([]);
  });

  it('refuses wrong credentials and token-for-token exchange with 401', async () => {
    const wrong = await token(['repository:library/app:pull'], basic('tguest', 'nope'));
    expect(wrong.status).toBe(401);
    expect(await errorCodes(wrong)).toEqual(['UNAUTHORIZED']);
    const tok = await tokenFor(['repository:library/app:pull'], guestAuth);
    const exchange = await token(['repository:library/app:pull'], `Bearer ${tok}`);
    expect(exchange.status).toBe(401);
    const otherService = await fetch(`${server.url}/service/token?service=other`);
    expect(otherService.status).toBe(400);
  });

  describe('refuses bad tokens on /v2', () => {
    const key = (() => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return { privateKey: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), publicKey, kid: keyIdOf(publicKey) };
    })();
    const now = () => Math.floor(Date.now() / 1000);
    const access = [{ type: 'repository', name: 'library/app', actions: ['pull'] }];

    it.each([
      ['a tampered payload', async () => {
        const good = await tokenFor(['repository:library/app:pull'], guestAuth);
        const [h, , s] = good.split('.');
        const claims = { ...claimsOf(good), access: [{ type: 'repository', name: 'tpriv/app', actions: ['pull', 'push'] }] };
        return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      }, 'bad token signature'],
      ['a token signed by another key', async () => signJwt(key, { iss: 'berth-token-issuer', aud: 'berth-registry', exp: now() + 60, access }), 'unknown key'],
      ['an expired token', async () => {
        const good = await tokenFor(['repository:library/app:pull'], guestAuth);
        return reSign(good, { exp: now() - 120 });
      }, 'token expired'],
      ['a token for another audience', async () => reSign(await tokenFor(['repository:library/app:pull'], guestAuth), { aud: 'another-registry' }), 'another service'],
      ['garbage', async () => 'not.a.jwt', 'malformed token'],
      ['an unsigned token (alg none)', async () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const body = Buffer.from(JSON.stringify({ iss: 'berth-token-issuer', aud: 'berth-registry', exp: now() + 60, access })).toString('base64url');
        return `${header}.${body}.`;
      }, 'unsupported token algorithm'],
    ])('%s', async (_name, make, message) => {
      const res = await v2('/v2/library/app/manifests/v1', await make());
      expect(res.status).toBe(401);
      const body = (await res.json()) as { errors: Array<{ code: string; message: string }> };
      expect(body.errors[0]!.code).toBe('UNAUTHORIZED');
      expect(body.errors[0]!.message).toContain(message);
    });

    /** Re-signs a real token's claims with the server's own key after changing them (tests the checks, not the signature). */
    function reSign(token: string, changes: Record<string, unknown>): string {
      const services = server.services as unknown as { tokens: { key: Parameters<typeof signJwt>[0] } };
      return signJwt(services.tokens.key, { ...claimsOf(token), ...changes });
    }
  });

  it('lets a token with the catalog scope list the repositories its holder may read', async () => {
    const without = await tokenFor(['repository:library/app:pull'], guestAuth);
    const denied = await v2('/v2/_catalog', without);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toContain('scope="registry:catalog:*"');
    const tok = await tokenFor(['registry:catalog:*'], guestAuth);
    const res = await v2('/v2/_catalog', tok);
    expect(((await res.json()) as { repositories: string[] }).repositories).toEqual(expect.arrayContaining(['library/app', 'tpriv/app']));
  });

  it('keeps the signing key across restarts of the same data directory', async () => {
    const tok = await tokenFor(['repository:library/app:pull'], guestAuth);
    const { loadSigningKey } = await import('../../server/auth/token-keys.ts');
    const again = loadSigningKey(server.dataDir, '');
    expect(again.kid).toBe(JSON.parse(Buffer.from(tok.split('.')[0]!, 'base64url').toString()).kid);
  });
});
