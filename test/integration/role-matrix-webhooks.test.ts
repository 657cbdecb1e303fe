import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciTestClient } from '../helpers/oci-client.ts';
import { callers, setUpCallers, type Caller } from '../helpers/role-fixture.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Every webhook route for every kind of caller, against Harbor's rules: Maintainers and ProjectAdmins read a
 * project's webhook policies and their delivery log (`notification-policy:list|read`), ProjectAdmins change them
 * and redeliver (`notification-policy:create|update|delete`), system administrators do everything. Guests,
 * LimitedGuests, Developers, non-members and robots (whose permissions name repositories only) are refused, also
 * on a public project. Denials are 401 for anonymous callers and 403 for everyone else.
 */
const readers: Caller[] = ['maintainer', 'projectAdmin', 'admin'];
const changers: Caller[] = ['projectAdmin', 'admin'];

type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

interface Route {
  name: string;
  allowed: Caller[];
  ok: number;
  run(api: Api, caller: Caller): Promise<Response>;
}

let server: TestServer;
let receiver: WebhookReceiver;
let policyId: number;
let deliveryId: number;

const policyBody = (name: string) => ({ name, event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: `${receiver.url}/matrix` }] });
const adminApi: Api = (method, path, body) =>
  fetch(`${server.url}/api/v2.0${path}`, {
    method,
    headers: { authorization: server.adminAuth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const policy = () => `/projects/priv/webhook/policies/${policyId}`;

const routes: Route[] = [
  { name: 'GET /projects/priv/webhook/policies', allowed: readers, ok: 200, run: (api) => api('GET', '/projects/priv/webhook/policies') },
  { name: 'GET /projects/pub/webhook/policies', allowed: readers, ok: 200, run: (api) => api('GET', '/projects/pub/webhook/policies') },
  { name: 'POST /projects/priv/webhook/policies', allowed: changers, ok: 201, run: (api, caller) => api('POST', '/projects/priv/webhook/policies', policyBody(`created-by-${caller}`)) },
  { name: 'GET .../policies/{id}', allowed: readers, ok: 200, run: (api) => api('GET', policy()) },
  { name: 'PUT .../policies/{id}', allowed: changers, ok: 200, run: (api) => api('PUT', policy(), policyBody('matrix')) },
  {
    name: 'DELETE .../policies/{id}',
    allowed: changers,
    ok: 200,
    run: async (api, caller) => {
      const res = await adminApi('POST', '/projects/priv/webhook/policies', policyBody(`doomed-${caller}`));
      return api('DELETE', `/projects/priv/webhook/policies/${res.headers.get('location')!.split('/').pop()}`);
    },
  },
  { name: 'GET /projects/priv/webhook/events', allowed: readers, ok: 200, run: (api) => api('GET', '/projects/priv/webhook/events') },
  { name: 'GET /projects/priv/webhook/lasttrigger', allowed: readers, ok: 200, run: (api) => api('GET', '/projects/priv/webhook/lasttrigger') },
  { name: 'GET .../executions', allowed: readers, ok: 200, run: (api) => api('GET', `${policy()}/executions`) },
  { name: 'GET .../executions/{id}/tasks', allowed: readers, ok: 200, run: (api) => api('GET', `${policy()}/executions/${deliveryId}/tasks`) },
  { name: 'GET .../tasks/{id}/log', allowed: readers, ok: 200, run: (api) => api('GET', `${policy()}/executions/${deliveryId}/tasks/${deliveryId}/log`) },
  { name: 'GET .../deliveries', allowed: readers, ok: 200, run: (api) => api('GET', `${policy()}/deliveries`) },
  { name: 'GET .../deliveries/{id}', allowed: readers, ok: 200, run: (api) => api('GET', `${policy()}/deliveries/${deliveryId}`) },
  { name: 'POST .../deliveries/{id}/redeliver', allowed: changers, ok: 201, run: (api) => api('POST', `${policy()}/deliveries/${deliveryId}/redeliver`) },
];

describe('role matrix on the webhook routes', () => {
  const auths = new Map<Caller, string | null>();
  beforeAll(async () => {
    server = await createTestServer({ config: { jobs: { pollMs: 50 } } });
    receiver = await startWebhookReceiver();
    for (const [caller, auth] of await setUpCallers(server)) auths.set(caller, auth);
    const created = await adminApi('POST', '/projects/priv/webhook/policies', policyBody('matrix'));
    expect(created.status).toBe(201);
    policyId = Number(created.headers.get('location')!.split('/').pop());
    await new OciTestClient(server.url, server.adminAuth).pushImage('priv/matrix', 'v1');
    await receiver.waitFor(1);
    const [delivery] = (await (await adminApi('GET', `${policy()}/deliveries`)).json()) as Array<{ id: number }>;
    deliveryId = delivery!.id;
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const cells = routes.flatMap((route) => callers.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));
  it.each(cells.map((c) => [`${c.caller} ${c.route.name}: ${c.allowed ? 'allowed' : 'denied'}`, c] as const))('%s', async (_label, cell) => {
    const auth = auths.get(cell.caller);
    const api: Api = (method, path, body) =>
      fetch(`${server.url}/api/v2.0${path}`, {
        method,
        headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json', 'X-Is-Resource-Name': 'true' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const res = await cell.route.run(api, cell.caller);
    const text = await res.text();
    if (cell.allowed) expect(res.status, text).toBe(cell.route.ok);
    else {
      expect(res.status, text).toBe(cell.caller === 'anonymous' ? 401 : 403);
      expect(JSON.parse(text)).toEqual({ errors: [{ code: cell.caller === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN', message: expect.any(String) }] });
    }
  });

  it('leaves the policies of the denied callers uncreated', async () => {
    const names = ((await (await adminApi('GET', '/projects/priv/webhook/policies?page_size=100')).json()) as Array<{ name: string }>).map((p) => p.name);
    for (const caller of callers) expect(names.includes(`created-by-${caller}`)).toBe(changers.includes(caller));
  });
});
