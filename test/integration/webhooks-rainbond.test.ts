import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiCall } from '../helpers/api-client.ts';
import { OciTestClient } from '../helpers/oci-client.ts';
import { rainbondConsole, rainbondDecide, splitHostname, type RainbondDecision } from '../helpers/rainbond-console.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';
import { jsonOf, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Berth's Rainbond payload against Rainbond's own matching rule (test/helpers/rainbond-console.ts, from
 * goodrain/rainbond-console console/views/webhook.py: `parse_image_webhook_payload` and
 * `ImageWebHooksDeploy.post` at ae3f1618, and the Docker-Hub-only rule of 9e9e6bb5 and before): the image name
 * without the registry host and tag must match the component's image, and the tag its tag or trigger.
 */
describe('webhooks to a Rainbond console', () => {
  let server: TestServer;
  let api: ApiCall;
  let registry: OciTestClient;
  let receiver: WebhookReceiver;
  let host: string;
  const decisions = new Map<string, RainbondDecision[]>();

  beforeAll(async () => {
    server = await createTestServer({ config: { jobs: { pollMs: 50 }, webhooks: { retryInitialDelayMs: 50 } } });
    api = apiClient(server);
    registry = new OciTestClient(server.url, server.adminAuth);
    host = new URL(server.url).host;
    // One console component per path, as Rainbond gives each component its own webhook URL.
    const components: Record<string, Parameters<typeof rainbondConsole>[0]> = {
      '/console/image/webhooks/web-current': { image: `${host}/rb/web:v2`, version: 'current' },
      '/console/image/webhooks/web-legacy': { image: `${host}/rb/web:v2`, version: 'legacy' },
      '/console/image/webhooks/nested-current': { image: `${host}/rb/apps/api:v1`, version: 'current' },
      '/console/image/webhooks/nested-legacy': { image: `${host}/rb/apps/api:v1`, version: 'legacy' },
      '/console/image/webhooks/trigger-legacy': { image: `${host}/rb/web:latest`, trigger: 'v\\d+', version: 'legacy' },
    };
    const responders = new Map(Object.entries(components).map(([path, component]) => {
      const list: RainbondDecision[] = [];
      decisions.set(path, list);
      return [path, rainbondConsole(component, list)] as const;
    }));
    receiver = await startWebhookReceiver((req, i) => responders.get(req.path)?.(req, i) ?? 404);
    expect((await api('POST', '/projects', { project_name: 'rb' })).status).toBe(201);
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.stop();
  });

  const policy = async (name: string, paths: string[], eventTypes = ['PUSH_ARTIFACT']): Promise<number> => {
    const res = await api('POST', '/projects/rb/webhook/policies', {
      name,
      event_types: eventTypes,
      max_attempts: 1,
      targets: paths.map((p) => ({ type: 'http', address: `${receiver.url}${p}`, payload_format: 'Rainbond' })),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return Number(res.headers.get('location')!.split('/').pop());
  };
  const requestsTo = (path: string): ReceivedRequest[] => receiver.requests.filter((r) => r.path === path);
  const until = async (what: string, probe: () => boolean | Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const decided = (path: string, n: number) => until(`${n} decisions at ${path}`, () => decisions.get(path)!.length >= n);

  it('splits image names as the console does: the first component of a multi-component name is its host', () => {
    expect(splitHostname(`${host}/rb/web`)).toEqual([host, 'rb/web']);
    expect(splitHostname('rb/web')).toEqual(['rb', 'web']);
    expect(splitHostname('web')).toEqual(['', 'web']);
  });

  it('deploys on a push of the component image, on the current console and on the legacy one', async () => {
    await policy('deploy-web', ['/console/image/webhooks/web-current', '/console/image/webhooks/web-legacy']);
    await registry.pushImage('rb/web', 'v2');
    await decided('/console/image/webhooks/web-current', 1);
    await decided('/console/image/webhooks/web-legacy', 1);
    for (const path of ['/console/image/webhooks/web-current', '/console/image/webhooks/web-legacy']) {
      expect(decisions.get(path)).toEqual([{ deployed: true, status: 200, reason: 'deploying', tag: 'v2', pusher: 'admin' }]);
    }
    // The two consoles read different halves of the same body.
    const body = jsonOf(requestsTo('/console/image/webhooks/web-current')[0]!);
    expect(body.event_data).toBeDefined();
    expect(body.push_data).toBeDefined();
  });

  it('deploys a component in a nested repository and a component with a tag trigger', async () => {
    await policy('deploy-nested', ['/console/image/webhooks/nested-current', '/console/image/webhooks/nested-legacy', '/console/image/webhooks/trigger-legacy']);
    await registry.pushImage('rb/apps/api', 'v1');
    await registry.pushImage('rb/web', 'v7');
    for (const path of ['nested-current', 'nested-legacy', 'trigger-legacy']) await decided(`/console/image/webhooks/${path}`, 2);
    expect(decisions.get('/console/image/webhooks/nested-current')!.filter((d) => d.deployed)).toHaveLength(1);
    expect(decisions.get('/console/image/webhooks/nested-legacy')!.filter((d) => d.deployed)).toHaveLength(1);
    // The trigger component follows rb/web only: v7 matches its trigger, rb/apps/api does not match its image.
    expect(decisions.get('/console/image/webhooks/trigger-legacy')!.map((d) => [d.deployed, d.tag ?? null])).toEqual(
      expect.arrayContaining([
        [true, 'v7'],
        [false, null],
      ]),
    );
  });

  it('is refused by the console for another image or tag, so the rule can say no', async () => {
    const body = jsonOf(requestsTo('/console/image/webhooks/web-current')[0]!);
    for (const version of ['current', 'legacy'] as const) {
      expect(rainbondDecide({ image: `${host}/rb/other:v2`, version }, body).deployed).toBe(false);
      expect(rainbondDecide({ image: `${host}/rb/web:v3`, version }, body).deployed).toBe(false);
      expect(rainbondDecide({ image: `${host}/rb/web:v2`, version }, body).deployed).toBe(true);
    }
  });

  it("shows why the format exists: Harbor's Default body alone does not deploy on a legacy console", async () => {
    const res = await api('POST', '/projects/rb/webhook/policies', {
      name: 'default-format',
      event_types: ['PUSH_ARTIFACT'],
      max_attempts: 1,
      targets: [{ type: 'http', address: `${receiver.url}/plain` }],
    });
    expect(res.status).toBe(201);
    await registry.pushImage('rb/web', 'v2');
    await until('the Default body', () => requestsTo('/plain').length > 0);
    const plain = jsonOf(requestsTo('/plain')[0]!);
    expect(rainbondDecide({ image: `${host}/rb/web:v2`, version: 'current' }, plain).deployed).toBe(true);
    expect(rainbondDecide({ image: `${host}/rb/web:v2`, version: 'legacy' }, plain).deployed).toBe(false);
  });

  it('sends a Rainbond target pushes only, even when its policy subscribes to pulls', async () => {
    // A Default target beside it shows when the pull has been dispatched (one event's deliveries are one transaction).
    const res = await api('POST', '/projects/rb/webhook/policies', {
      name: 'pulls-too',
      event_types: ['PUSH_ARTIFACT', 'PULL_ARTIFACT'],
      max_attempts: 1,
      targets: [
        { type: 'http', address: `${receiver.url}/console/image/webhooks/web-current`, payload_format: 'Rainbond' },
        { type: 'http', address: `${receiver.url}/witness`, payload_format: 'Default' },
      ],
    });
    const id = Number(res.headers.get('location')!.split('/').pop());
    expect((await registry.request('GET', '/v2/rb/web/manifests/v2', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(200);
    await until('the pull at the witness', () => requestsTo('/witness').length > 0);
    const list = (await (await api('GET', `/projects/rb/webhook/policies/${id}/deliveries`)).json()) as Array<{ event_type: string; payload_format: string }>;
    expect(list.map((d) => [d.event_type, d.payload_format])).toEqual([['PULL_ARTIFACT', 'Default']]);
  });
});
