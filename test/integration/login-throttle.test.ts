import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('brute-force protection for password logins', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ config: { auth: { maxFailedLogins: 4, lockoutMinutes: 1, failureDelayMs: 1 } } });
    for (const name of ['victim', 'bystander']) await server.services.users.createIfMissing(name, 'Right-Passw0rd', false);
  });
  afterAll(async () => server?.stop());

  const v2 = (auth: string): Promise<Response> => fetch(`${server.url}/v2/`, { headers: { authorization: auth } });

  it('refuses an account with 429 and Retry-After after repeated failures, even with the right password', async () => {
    for (let i = 0; i < 4; i++) expect((await v2(basic('victim', `wrong-${i}`))).status).toBe(401);
    const locked = await v2(basic('victim', 'Right-Passw0rd'));
    expect(locked.status).toBe(429);
    expect(await errorCodes(locked)).toEqual(['TOOMANYREQUESTS']);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The token service is protected by the same counter (Harbor's envelope there).
    const token = await fetch(`${server.url}/service/token?scope=repository:library/x:pull`, { headers: { authorization: basic('victim', 'Right-Passw0rd') } });
    expect(token.status).toBe(429);
  });

  it('leaves other accounts alone', async () => {
    expect((await v2(basic('bystander', 'Right-Passw0rd'))).status).toBe(200);
  });

  it('forgets an account\'s failures after a successful login', async () => {
    for (let i = 0; i < 3; i++) expect((await v2(basic('bystander', `wrong-${i}`))).status).toBe(401);
    expect((await v2(basic('bystander', 'Right-Passw0rd'))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await v2(basic('bystander', `wrong-again-${i}`))).status).toBe(401);
    expect((await v2(basic('bystander', 'Right-Passw0rd'))).status).toBe(200);
  });

  it('refuses an address that guesses across many accounts', async () => {
    // Five times the per-account limit from one address, spread so no single account is locked.
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) status = (await v2(basic(`nobody-${i}`, 'x'))).status;
    expect(status).toBe(429);
    const fromSameAddress = await v2(basic('bystander', 'Right-Passw0rd'));
    expect(fromSameAddress.status).toBe(200);
  });
});
