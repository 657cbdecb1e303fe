import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import {
  layoutBlob,
  layoutDigest,
  mediaTypes,
  readDigestFile,
  requireTools,
  startupTimeout,
  Sandbox,
  sha256,
  umociImage,
  type ImageConfig,
  type ImageManifest,
} from './tools.ts';

/** skopeo against a real Berth process: every transport round trip keeps the manifest digest. */
describe('skopeo', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  let source: string;
  let sourceDigest: string;
  let otherDigest: string;

  beforeAll(async () => {
    await requireTools('skopeo', 'umoci');
    berth = await startBerthProcess();
    sb = await Sandbox.create('skopeo', berth);
    source = sb.path('source');
    sourceDigest = await umociImage(sb, source, 'v1', { layers: [{ 'hello.txt': 'hello from skopeo e2e\n' }] });
    otherDigest = await umociImage(sb, source, 'v2', { layers: [{ 'other.txt': 'another image\n' }] });
    // The image every other test starts from, pushed once.
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('library/skopeo-src:v1')]);
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  it('pushes an oci: layout with the manifest digest and media type unchanged', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, '--digestfile', sb.path('push.digest'), `oci:${source}:v1`, sb.ref('library/skopeo-push:v1')]);
    const pushed = await readDigestFile(sb.path('push.digest'));
    const head = await sb.manifest('library/skopeo-push', 'v1', { method: 'HEAD' });
    expect(pushed).toBe(sourceDigest);
    expect(head.status).toBe(200);
    expect(head.digest).toBe(sourceDigest);
    expect(head.contentType).toBe(mediaTypes.ociManifest);
    // The bytes served are the layout's bytes.
    const body = await sb.manifest('library/skopeo-push', sourceDigest);
    expect(body.body.equals(await layoutBlob(source, sourceDigest))).toBe(true);
  });

  it('inspects the pushed image with the digest, platform and layers of the source', async () => {
    const { stdout } = await sb.skopeo(['inspect', '--tls-verify=false', '--creds', sb.creds, sb.ref('library/skopeo-src:v1')]);
    const info = JSON.parse(stdout) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
    const manifest = JSON.parse((await layoutBlob(source, sourceDigest)).toString()) as ImageManifest;
    expect(info.Digest).toBe(sourceDigest);
    expect(info.Architecture).toBe('amd64');
    expect(info.Os).toBe('linux');
    expect(info.Layers).toEqual(manifest.layers.map((l) => l.digest));
  });

  it('copies to an oci: layout and back without changing the digest', async () => {
    const layout = sb.path('oci-out');
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, sb.ref('library/skopeo-src:v1'), `oci:${layout}:copied`]);
    expect(await layoutDigest(layout, 'copied')).toBe(sourceDigest);
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout}:copied`, sb.ref('library/skopeo-oci:back')]);
    const head = await sb.manifest('library/skopeo-oci', 'back', { method: 'HEAD' });
    expect(head.digest).toBe(sourceDigest);
  });

  it('copies to an oci-archive: and back without changing the digest', async () => {
    const archive = sb.path('image.oci.tar');
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, sb.ref('library/skopeo-src:v1'), `oci-archive:${archive}:archived`]);
    const { stdout } = await sb.skopeo(['inspect', `oci-archive:${archive}:archived`]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(sourceDigest);
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci-archive:${archive}:archived`, sb.ref('library/skopeo-ociarchive:back')]);
    const head = await sb.manifest('library/skopeo-ociarchive', 'back', { method: 'HEAD' });
    expect(head.digest).toBe(sourceDigest);
  });

  it('copies to dir: with the manifest bytes intact and back without changing the digest', async () => {
    const dir = sb.path('dir-out');
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, sb.ref('library/skopeo-src:v1'), `dir:${dir}`]);
    const manifestBytes = await readFile(`${dir}/manifest.json`);
    expect(sha256(manifestBytes)).toBe(sourceDigest);
    const manifest = JSON.parse(manifestBytes.toString()) as ImageManifest;
    const files = await readdir(dir);
    for (const d of [manifest.config, ...manifest.layers]) {
      const hex = d.digest.split(':')[1]!;
      expect(files).toContain(hex);
      expect(sha256(await readFile(`${dir}/${hex}`))).toBe(d.digest);
    }
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `dir:${dir}`, sb.ref('library/skopeo-dir:back')]);
    expect((await sb.manifest('library/skopeo-dir', 'back', { method: 'HEAD' })).digest).toBe(sourceDigest);
  });

  it('converts to Docker v2s2, exports a docker-archive: and pushes it back with the same digests', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, '--format', 'v2s2', '--digestfile', sb.path('v2s2.digest'), sb.ref('library/skopeo-src:v1'), sb.ref('library/skopeo-v2s2:v1')]);
    const v2s2 = await sb.manifestJson('library/skopeo-v2s2', 'v1');
    const oci = JSON.parse((await layoutBlob(source, sourceDigest)).toString()) as ImageManifest;
    expect(v2s2.contentType).toBe(mediaTypes.dockerManifest);
    expect(v2s2.digest).toBe(await readDigestFile(sb.path('v2s2.digest')));
    expect(v2s2.digest).not.toBe(sourceDigest);
    expect(v2s2.json.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(v2s2.json.layers.map((l) => l.digest)).toEqual(oci.layers.map((l) => l.digest));

    const archive = sb.path('image.docker.tar');
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, sb.ref('library/skopeo-v2s2:v1'), `docker-archive:${archive}:library/skopeo-v2s2:v1`]);
    const { stdout: tarList } = await sb.run('tar', ['-tf', archive]);
    expect(tarList.split('\n')).toContain(`${v2s2.json.config.digest.split(':')[1]}.json`);
    const { stdout: archivedConfig } = await sb.skopeo(['inspect', '--config', `docker-archive:${archive}`]);
    const config = await sb.blobJson<ImageConfig>('library/skopeo-v2s2', v2s2.json.config.digest);
    expect((JSON.parse(archivedConfig) as ImageConfig).rootfs.diff_ids).toEqual(config.rootfs.diff_ids);

    // The archive holds uncompressed layers; skopeo finds the compressed original still in the repository
    // (blob-info cache + HEAD) and reuses it, so the very same manifest is produced.
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, '--digestfile', sb.path('back.digest'), `docker-archive:${archive}`, sb.ref('library/skopeo-v2s2:from-archive')]);
    const back = await sb.manifestJson('library/skopeo-v2s2', 'from-archive');
    expect(back.contentType).toBe(mediaTypes.dockerManifest);
    expect(back.json.config.digest).toBe(v2s2.json.config.digest);
    expect(back.digest).toBe(await readDigestFile(sb.path('back.digest')));
    expect(back.digest).toBe(v2s2.digest);
  });

  it('streams a multi-megabyte layer up and down intact', async () => {
    const layout = sb.path('big');
    const payload = randomBytes(6 * 1024 * 1024).toString('base64');
    const digest = await umociImage(sb, layout, 'v1', { layers: [{ 'big.txt': payload }] });
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${layout}:v1`, sb.ref('library/skopeo-big:v1')]);
    expect((await sb.manifest('library/skopeo-big', 'v1', { method: 'HEAD' })).digest).toBe(digest);
    const manifest = JSON.parse((await layoutBlob(layout, digest)).toString()) as ImageManifest;
    const layer = manifest.layers[0]!;
    expect(layer.size).toBeGreaterThan(4 * 1024 * 1024);

    const back = sb.path('big-back');
    await sb.skopeo(['copy', '--src-tls-verify=false', '--src-no-creds', sb.ref('library/skopeo-big:v1'), `oci:${back}:v1`]);
    const pulled = await layoutBlob(back, layer.digest);
    expect(pulled.length).toBe(layer.size);
    expect(sha256(pulled)).toBe(layer.digest);
    await sb.umoci(['raw', 'unpack', '--rootless', '--image', `${back}:v1`, sb.path('big-rootfs')]);
    expect(await readFile(sb.path('big-rootfs', 'big.txt'), 'utf8')).toBe(payload);
  });

  it('copies across repositories by mounting the blobs instead of uploading them', async () => {
    const src = JSON.parse((await layoutBlob(source, sourceDigest)).toString()) as ImageManifest;
    const layer = src.layers[0]!.digest;
    expect(await sb.blobStatus('library/skopeo-mounted', layer)).toBe(404);

    const { stderr } = await sb.skopeo(['--debug', 'copy', ...sb.skopeoCopyFlags, sb.ref('library/skopeo-src:v1'), sb.ref('library/skopeo-mounted:v1')]);
    // skopeo mounts from whichever repository its blob-info cache last saw the layer in (all are in library/).
    const mount = new RegExp(`Trying to mount /v2/library/skopeo-mounted/blobs/uploads/\\?from=library%2F[a-z0-9-]+&mount=${encodeURIComponent(layer)}"\n.*POST .*\n.*\\.\\.\\. mount OK`);
    expect(stderr).toMatch(mount);
    expect(stderr).toContain(`Skipping blob ${layer} (already present)`);
    // The layer was never uploaded to the target repository.
    expect(stderr).not.toMatch(new RegExp(`PUT \\S+/v2/library/skopeo-mounted/blobs/uploads/\\S+\\?digest=${encodeURIComponent(layer)}`));

    expect(await sb.blobStatus('library/skopeo-mounted', layer)).toBe(200);
    expect((await sb.manifest('library/skopeo-mounted', 'v1', { method: 'HEAD' })).digest).toBe(sourceDigest);
    const blob = await sb.registry.request('GET', `/v2/library/skopeo-mounted/blobs/${layer}`);
    expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(layer);
  });

  it('lists the tags of a repository', async () => {
    for (const tag of ['1.0', '1.1', 'latest']) {
      await sb.skopeo(['copy', ...sb.skopeoCopyFlags, sb.ref('library/skopeo-src:v1'), sb.ref(`library/skopeo-tags:${tag}`)]);
    }
    const { stdout } = await sb.skopeo(['list-tags', '--tls-verify=false', '--creds', sb.creds, sb.ref('library/skopeo-tags')]);
    const listed = JSON.parse(stdout) as { Repository: string; Tags: string[] };
    expect(listed.Repository).toBe(`${sb.host}/library/skopeo-tags`);
    expect([...listed.Tags].sort()).toEqual(['1.0', '1.1', 'latest']);
  });

  it('lets anonymous clients pull and list tags from the public library project', async () => {
    const layout = sb.path('anon-out');
    await sb.skopeo(['copy', '--src-tls-verify=false', '--src-no-creds', sb.ref('library/skopeo-src:v1'), `oci:${layout}:anon`]);
    expect(await layoutDigest(layout, 'anon')).toBe(sourceDigest);
    const { stdout } = await sb.skopeo(['list-tags', '--tls-verify=false', '--no-creds', sb.ref('library/skopeo-src')]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toEqual(['v1']);
  });

  it('moves a tag when another image is pushed to it, and serves the new image to the next pull', async () => {
    const pull = async (): Promise<string> => {
      const { stdout } = await sb.skopeo(['inspect', '--tls-verify=false', '--no-creds', sb.ref('library/skopeo-retag:latest')]);
      return (JSON.parse(stdout) as { Digest: string }).Digest;
    };
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('library/skopeo-retag:latest')]);
    expect(await pull()).toBe(sourceDigest);
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v2`, sb.ref('library/skopeo-retag:latest')]);
    expect(await pull()).toBe(otherDigest);
    // Pushing the first image again moves the tag back; both images stay pullable by digest.
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('library/skopeo-retag:latest')]);
    expect(await pull()).toBe(sourceDigest);
    expect((await sb.manifest('library/skopeo-retag', otherDigest, { method: 'HEAD' })).status).toBe(200);
    const { stdout } = await sb.skopeo(['list-tags', '--tls-verify=false', '--no-creds', sb.ref('library/skopeo-retag')]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toEqual(['latest']);
  });

  it('accepts nested repository names inside a project', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('library/team/app/api:v1')]);
    const { stdout } = await sb.skopeo(['inspect', '--tls-verify=false', '--no-creds', sb.ref('library/team/app/api:v1')]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(sourceDigest);
  });

  it('tells the client that a push into a missing project fails because the project does not exist', async () => {
    const push = sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('nosuchproject/app:v1')]);
    await expect(push).rejects.toThrow(/name unknown: project \\?"nosuchproject\\?" does not exist/);
  });

  it('refuses an anonymous push and an anonymous delete', async () => {
    const push = sb.skopeo(['copy', '--dest-tls-verify=false', '--dest-no-creds', `oci:${source}:v1`, sb.ref('library/skopeo-anon:v1')]);
    await expect(push).rejects.toThrow(/401|unauthorized|authentication required/i);
    const del = sb.skopeo(['delete', '--tls-verify=false', '--no-creds', sb.ref('library/skopeo-src:v1')]);
    await expect(del).rejects.toThrow(/401 Unauthorized/);
    expect((await sb.manifest('library/skopeo-src', 'v1', { method: 'HEAD' })).status).toBe(200);
  });

  it('deletes an image with skopeo delete and leaves the other images of the repository alone', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('library/skopeo-delete:doomed')]);
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v2`, sb.ref('library/skopeo-delete:keep')]);
    expect((await sb.manifest('library/skopeo-delete', sourceDigest, { method: 'HEAD' })).status).toBe(200);

    await sb.skopeo(['delete', '--tls-verify=false', '--creds', sb.creds, sb.ref('library/skopeo-delete:doomed')]);

    // skopeo resolves the tag and deletes the manifest by digest.
    expect((await sb.manifest('library/skopeo-delete', sourceDigest, { method: 'HEAD' })).status).toBe(404);
    expect((await sb.manifest('library/skopeo-delete', 'doomed', { method: 'HEAD' })).status).toBe(404);
    const keep = await sb.manifest('library/skopeo-delete', 'keep', { method: 'HEAD' });
    expect(keep.status).toBe(200);
    expect(keep.digest).toBe(otherDigest);
    const { stdout } = await sb.skopeo(['list-tags', '--tls-verify=false', '--creds', sb.creds, sb.ref('library/skopeo-delete')]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toEqual(['keep']);
    // The same image in another repository is untouched.
    expect((await sb.manifest('library/skopeo-src', sourceDigest, { method: 'HEAD' })).status).toBe(200);
    await expect(sb.skopeo(['inspect', '--tls-verify=false', '--creds', sb.creds, sb.ref('library/skopeo-delete:doomed')])).rejects.toThrow(/manifest unknown/);

    // Pushing the deleted image again brings it back under its tag.
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:v1`, sb.ref('library/skopeo-delete:doomed')]);
    const again = await sb.manifest('library/skopeo-delete', 'doomed', { method: 'HEAD' });
    expect(again.status).toBe(200);
    expect(again.digest).toBe(sourceDigest);
  });
});
