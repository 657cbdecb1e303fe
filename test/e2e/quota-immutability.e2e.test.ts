import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import { layoutBlob, layoutDigest, mediaTypes, requireTools, Sandbox, startupTimeout, ToolError, umociImage } from './tools.ts';

interface Quota {
  id: number;
  hard: { storage: number };
  used: { storage: number };
}

/**
 * Quotas and tag immutability as real clients meet them: skopeo's push past a project's quota fails with the quota
 * message in its stderr and leaves usage unchanged, a delete returns usage to its old value, and skopeo and podman
 * cannot overwrite or delete an immutable tag (412, with Berth's message in their stderr).
 */
describe('quotas and immutability with real clients', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  let api: (method: string, path: string, body?: unknown) => Promise<Response>;
  const layout = (): string => sb.path('images');

  beforeAll(async () => {
    await requireTools('skopeo', 'podman', 'buildah', 'umoci');
    berth = await startBerthProcess();
    sb = await Sandbox.create('quota', berth);
    const admin = `Basic ${Buffer.from(`admin:${berth.adminPassword}`).toString('base64')}`;
    api = (method, path, body) =>
      fetch(`${berth.url}/api/v2.0${path}`, {
        method,
        headers: { authorization: admin, 'content-type': 'application/json', 'X-Is-Resource-Name': 'true' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await api('POST', '/projects', { project_name: 'capped', storage_limit: 64 * 1024 })).status).toBe(201);
    expect((await api('POST', '/projects', { project_name: 'frozen' })).status).toBe(201);
    // Small images, and one whose random (incompressible) layer is far past the quota.
    await umociImage(sb, layout(), 'small', { layers: [{ 'small.txt': 'a small image\n' }] });
    await umociImage(sb, layout(), 'other', { layers: [{ 'other.txt': 'another small image\n' }] });
    await umociImage(sb, layout(), 'big', { layers: [{ 'big.bin': randomBytes(200 * 1024).toString('base64') }] });
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  const quotaOf = async (project: string): Promise<Quota> => {
    const { project_id } = (await (await api('GET', `/projects/${project}`)).json()) as { project_id: number };
    return ((await (await api('GET', `/quotas?reference_id=${project_id}`)).json()) as Quota[])[0]!;
  };
  const copy = (tag: string, target: string) => sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout()}:${tag}`, sb.ref(target)]);
  const failure = async (run: Promise<unknown>): Promise<ToolError> => {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the client should have failed').toBeInstanceOf(ToolError);
    return err as ToolError;
  };

  it('fails a skopeo push past the quota with the quota message, leaving usage unchanged', async () => {
    await copy('small', 'capped/app:small');
    const before = await quotaOf('capped');
    expect(before.used.storage).toBeGreaterThan(0);
    const refused = await failure(copy('big', 'capped/app:big'));
    expect(refused.stderr).toMatch(/quota exceeded in project capped: adding [\d.]+ KiB \(\d+ bytes\) of storage/);
    expect(refused.stderr).toMatch(/\(\d+ bytes\) remaining/);
    expect((await quotaOf('capped')).used.storage).toBe(before.used.storage);
    expect((await sb.manifest('capped/app', 'big', { method: 'HEAD' })).status).toBe(404);
  });

  it('returns usage to its old value after skopeo deletes an artifact', async () => {
    const before = (await quotaOf('capped')).used.storage;
    await copy('other', 'capped/app:other');
    expect((await quotaOf('capped')).used.storage).toBeGreaterThan(before);
    await sb.skopeo(['delete', '--tls-verify=false', '--creds', sb.creds, sb.ref('capped/app:other')]);
    expect((await quotaOf('capped')).used.storage).toBe(before);
  });

  it('refuses to overwrite or delete an immutable tag with skopeo and podman (412, with the message)', async () => {
    const created = await api('POST', '/projects/frozen/immutabletagrules', {
      action: 'immutable',
      template: 'immutable_template',
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'v*' }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
    });
    expect(created.status).toBe(201);
    await copy('small', 'frozen/app:v1');
    const pushed = await sb.manifest('frozen/app', 'v1', { method: 'HEAD' });
    expect(pushed.status).toBe(200);
    // The same image again is fine.
    await copy('small', 'frozen/app:v1');

    const overwrite = await failure(copy('other', 'frozen/app:v1'));
    expect(overwrite.stderr).toContain('denied: the tag frozen/app:v1 is immutable (rule');
    // What skopeo was told: 412 (its blobs went up before the manifest was refused).
    const otherManifest = await layoutBlob(layout(), await layoutDigest(layout(), 'other'));
    expect((await sb.registry.putManifest('frozen/app', 'v1', otherManifest, mediaTypes.ociManifest)).status).toBe(412);

    // podman, with an image built by buildah.
    await writeFile(sb.path('podman.txt'), 'built for podman\n');
    const container = (await sb.buildah(['from', 'scratch'], { storage: 'frozen' })).stdout.trim();
    await sb.buildah(['copy', container, sb.path('podman.txt'), '/podman.txt'], { storage: 'frozen' });
    await sb.buildah(['commit', '-q', '--rm', container, `${berth.host}/frozen/app:v1`], { storage: 'frozen' });
    const podman = await failure(sb.podman(['push', ...sb.registryFlags, `${berth.host}/frozen/app:v1`], { storage: 'frozen' }));
    expect(podman.stderr).toContain('the tag frozen/app:v1 is immutable (rule');

    const deleted = await failure(sb.skopeo(['delete', '--tls-verify=false', '--creds', sb.creds, sb.ref('frozen/app:v1')]));
    expect(deleted.stderr).toContain('carries the tag frozen/app:v1, configured as immutable');
    expect(deleted.stderr).toContain('412 Precondition Failed');
    expect((await sb.manifest('frozen/app', 'v1', { method: 'HEAD' })).digest).toBe(pushed.digest);
  });
});
