import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { rainbondConsole, type RainbondDecision } from '../helpers/rainbond-console.ts';
import { jsonOf, startWebhookReceiver, validSignature, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { readDigestFile, requireTools, Sandbox, startupTimeout, umociImage } from './tools.ts';

const secret = 'e2e-webhook-secret';

/**
 * Real pushes (skopeo from an OCI layout, podman from containers-storage) reach receivers on loopback in the
 * Default, CloudEvents and Rainbond formats, each signed with the policy's secret; the Rainbond body deploys on a
 * console stand-in that applies Rainbond's matching rule (test/helpers/rainbond-console.ts), current and legacy.
 */
describe('webhooks for real clients', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  let receiver: WebhookReceiver;
  const decisions = { current: [] as RainbondDecision[], legacy: [] as RainbondDecision[] };
  const components = new Map<string, ReturnType<typeof rainbondConsole>>();

  beforeAll(async () => {
    await requireTools('skopeo', 'umoci', 'podman', 'buildah');
    berth = await startBerthProcess();
    sb = await Sandbox.create('webhooks', berth);
    receiver = await startWebhookReceiver((req, i) => components.get(req.path)?.(req, i) ?? 200);
    const api = (method: string, path: string, body: unknown) =>
      fetch(`${berth.url}/api/v2.0${path}`, { method, headers: { authorization: `Basic ${Buffer.from(sb.creds).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await api('POST', '/projects', { project_name: 'hooks', metadata: { public: 'true' } })).status).toBe(201);
    const policy = await api('POST', '/projects/hooks/webhook/policies', {
      name: 'all-formats',
      event_types: ['PUSH_ARTIFACT'],
      secret,
      targets: [
        { type: 'http', address: `${receiver.url}/default`, payload_format: 'Default', auth_header: 'Bearer e2e' },
        { type: 'http', address: `${receiver.url}/cloudevents`, payload_format: 'CloudEvents' },
        { type: 'http', address: `${receiver.url}/console/image/webhooks/current`, payload_format: 'Rainbond' },
        { type: 'http', address: `${receiver.url}/console/image/webhooks/legacy`, payload_format: 'Rainbond' },
      ],
    });
    expect(policy.status, await policy.text()).toBe(201);
  }, startupTimeout);
  afterAll(async () => {
    await receiver?.close();
    await berth?.stop();
    await sb?.cleanup();
  });

  /** The four requests one push caused, by target. */
  async function requestsFor(repository: string): Promise<Record<'default' | 'cloudevents' | 'current' | 'legacy', ReceivedRequest>> {
    const mine = (path: string) => receiver.requests.find((r) => r.path === path && r.body.includes(`"${repository}"`));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = {
        default: mine('/default'),
        cloudevents: mine('/cloudevents'),
        current: mine('/console/image/webhooks/current'),
        legacy: mine('/console/image/webhooks/legacy'),
      };
      if (Object.values(found).every(Boolean)) return found as Record<keyof typeof found, ReceivedRequest>;
      if (Date.now() > deadline) throw new Error(`webhooks for ${repository} did not all arrive: ${receiver.requests.map((r) => r.path).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function checkPush(got: Awaited<ReturnType<typeof requestsFor>>, repository: string, tag: string, digest: string): void {
    for (const req of Object.values(got)) {
      expect(validSignature(req, secret)).toBe(true);
      expect(req.headers['x-berth-event']).toBe('PUSH_ARTIFACT');
    }
    const resources = [{ digest, tag, resource_url: `${berth.host}/${repository}:${tag}` }];
    const repo = { date_created: expect.any(Number), name: repository.split('/')[1], namespace: 'hooks', repo_full_name: repository, repo_type: 'public' };
    expect(jsonOf(got.default)).toEqual({ type: 'PUSH_ARTIFACT', occur_at: expect.any(Number), operator: 'admin', event_data: { resources, repository: repo } });
    expect(got.default.headers.authorization).toBe('Bearer e2e');
    const ce = jsonOf(got.cloudevents);
    expect(got.cloudevents.headers['content-type']).toBe('application/cloudevents+json');
    expect(ce).toMatchObject({ specversion: '1.0', type: 'harbor.artifact.pushed', datacontenttype: 'application/json', operator: 'admin', data: { resources, repository: repo } });
    expect(ce.source).toMatch(/^\/projects\/\d+\/webhook\/policies\/\d+$/);
    const rb = jsonOf(got.current);
    expect(rb.push_data).toMatchObject({ tag, pusher: 'admin' });
    expect(rb.repository).toMatchObject({ repo_name: `${berth.host}/${repository}`, namespace: 'hooks' });
  }

  it('sends a skopeo push in every format, signed, and the Rainbond body deploys the component', async () => {
    components.set('/console/image/webhooks/current', rainbondConsole({ image: `${berth.host}/hooks/skopeo-app:v1`, version: 'current' }, decisions.current));
    components.set('/console/image/webhooks/legacy', rainbondConsole({ image: `${berth.host}/hooks/skopeo-app:v1`, version: 'legacy' }, decisions.legacy));
    const layout = sb.path('layout');
    await umociImage(sb, layout, 'v1', { layers: [{ 'hello.txt': 'hello, webhooks\n' }] });
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, '--digestfile', sb.path('skopeo.digest'), `oci:${layout}:v1`, sb.ref('hooks/skopeo-app:v1')]);
    const digest = await readDigestFile(sb.path('skopeo.digest'));
    checkPush(await requestsFor('hooks/skopeo-app'), 'hooks/skopeo-app', 'v1', digest);
    expect(decisions.current).toEqual([expect.objectContaining({ deployed: true, tag: 'v1', pusher: 'admin' })]);
    expect(decisions.legacy).toEqual([expect.objectContaining({ deployed: true, tag: 'v1', pusher: 'admin' })]);
  });

  it('sends a podman push in every format, signed, and the Rainbond body deploys the component', async () => {
    components.set('/console/image/webhooks/current', rainbondConsole({ image: `${berth.host}/hooks/podman-app:p1`, version: 'current' }, decisions.current));
    components.set('/console/image/webhooks/legacy', rainbondConsole({ image: `${berth.host}/hooks/podman-app:p1`, version: 'legacy' }, decisions.legacy));
    await writeFile(sb.path('podman.txt'), 'pushed by podman\n');
    const container = (await sb.buildah(['from', 'scratch'], { storage: 'webhooks' })).stdout.trim();
    await sb.buildah(['copy', container, sb.path('podman.txt'), '/podman.txt'], { storage: 'webhooks' });
    await sb.buildah(['commit', '-q', '--rm', container, 'localhost/webhook-e2e:p1'], { storage: 'webhooks' });
    await sb.podman(['push', ...sb.registryFlags, '--digestfile', sb.path('podman.digest'), 'localhost/webhook-e2e:p1', sb.ref('hooks/podman-app:p1')], { storage: 'webhooks' });
    const digest = await readDigestFile(sb.path('podman.digest'));
    checkPush(await requestsFor('hooks/podman-app'), 'hooks/podman-app', 'p1', digest);
    expect(decisions.current.at(-1)).toMatchObject({ deployed: true, tag: 'p1' });
    expect(decisions.legacy.at(-1)).toMatchObject({ deployed: true, tag: 'p1' });
  });
});
