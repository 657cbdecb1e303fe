import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import {
  mediaTypes,
  readDigestFile,
  requireTools,
  Sandbox,
  startupTimeout,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type StorageName,
} from './tools.ts';

interface PodmanImage {
  Id: string;
  Digest: string;
  RepoDigests: string[];
  Architecture: string;
  Os: string;
}

const content = (arch: string): string => `built by buildah for ${arch}\n`;

/**
 * Images built daemonless with buildah (from scratch, vfs storage in the sandbox), pushed with buildah and podman
 * in OCI and Docker v2s2 form, and pulled with podman into a separate storage, so a pull really downloads.
 */
describe('podman and buildah', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  const imageIds: Record<string, string> = {};

  /** `buildah from scratch`, copy one file, set the platform, commit as localhost/berth-e2e:<arch>. */
  async function buildImage(arch: string): Promise<string> {
    const file = sb.path('tmp', `hello-${arch}.txt`);
    await writeFile(file, content(arch));
    const container = (await sb.buildah(['from', 'scratch'])).stdout.trim();
    await sb.buildah(['copy', container, file, '/hello.txt']);
    await sb.buildah(['config', '--arch', arch, '--os', 'linux', '--cmd', '/hello.txt', '--label', `e2e.arch=${arch}`, container]);
    const id = (await sb.buildah(['commit', '-q', '--format', 'oci', '--rm', container, `localhost/berth-e2e:${arch}`])).stdout.trim();
    return id;
  }

  async function inspectPodman(ref: string, storage: StorageName): Promise<PodmanImage> {
    const { stdout } = await sb.podman(['image', 'inspect', ref], { storage });
    return (JSON.parse(stdout) as PodmanImage[])[0]!;
  }

  /** Reads /hello.txt of a local image through `podman image mount` (a plain directory with vfs). */
  async function readHello(ref: string, storage: StorageName): Promise<string> {
    const mountpoint = (await sb.podman(['image', 'mount', ref], { storage })).stdout.trim();
    try {
      return await readFile(path.join(mountpoint, 'hello.txt'), 'utf8');
    } finally {
      await sb.podman(['image', 'unmount', ref], { storage });
    }
  }

  beforeAll(async () => {
    await requireTools('podman', 'buildah');
    berth = await startBerthProcess();
    sb = await Sandbox.create('podman', berth);
    imageIds.amd64 = await buildImage('amd64');
    imageIds.arm64 = await buildImage('arm64');
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  it('builds images from scratch without a daemon, with the requested platforms', async () => {
    for (const arch of ['amd64', 'arm64']) {
      const { stdout } = await sb.buildah(['inspect', '--type', 'image', `localhost/berth-e2e:${arch}`]);
      const info = JSON.parse(stdout) as { FromImageID: string; OCIv1: ImageConfig };
      expect(info.OCIv1.architecture).toBe(arch);
      expect(info.OCIv1.rootfs.diff_ids).toHaveLength(1);
    }
    expect(imageIds.amd64).not.toBe(imageIds.arm64);
  });

  const pushes: Array<[tool: 'buildah' | 'podman', format: 'oci' | 'v2s2', mediaType: string]> = [
    ['buildah', 'oci', mediaTypes.ociManifest],
    ['buildah', 'v2s2', mediaTypes.dockerManifest],
    ['podman', 'oci', mediaTypes.ociManifest],
    ['podman', 'v2s2', mediaTypes.dockerManifest],
  ];

  it.each(pushes)('%s push --format %s stores the manifest podman pulls back with the same digest', async (tool, format, mediaType) => {
    const repo = `library/pb-${tool}`;
    const digestFile = sb.path(`${tool}-${format}.digest`);
    const push = tool === 'buildah' ? sb.buildah.bind(sb) : sb.podman.bind(sb);
    await push(['push', ...sb.registryFlags, '--format', format, '--digestfile', digestFile, 'localhost/berth-e2e:amd64', sb.ref(`${repo}:${format}`)]);
    const pushed = await readDigestFile(digestFile);

    const stored = await sb.manifestJson(repo, format);
    expect(stored.digest).toBe(pushed);
    expect(stored.contentType).toBe(mediaType);
    expect(stored.json.mediaType).toBe(mediaType);
    const config = await sb.blobJson<ImageConfig>(repo, stored.json.config.digest);
    const local = JSON.parse((await sb.buildah(['inspect', '--type', 'image', 'localhost/berth-e2e:amd64'])).stdout) as { OCIv1: ImageConfig };
    expect(config.architecture).toBe('amd64');
    expect(config.rootfs.diff_ids).toEqual(local.OCIv1.rootfs.diff_ids);
    if (format === 'oci') expect(stored.json.config.digest).toBe(`sha256:${imageIds.amd64}`);
    for (const layer of stored.json.layers) expect(await sb.blobStatus(repo, layer.digest)).toBe(200);

    // A storage of its own, so the pull really downloads and the image records this manifest's digest.
    const storage = `pull-${tool}-${format}`;
    const pulledId = (await sb.podman(['pull', '-q', ...sb.registryFlags, `${sb.host}/${repo}:${format}`], { storage })).stdout.trim();
    expect(`sha256:${pulledId}`).toBe(stored.json.config.digest);
    const image = await inspectPodman(pulledId, storage);
    expect(image.Digest).toBe(pushed);
    expect(image.RepoDigests).toContain(`${sb.host}/${repo}@${pushed}`);
    expect(image.Architecture).toBe('amd64');
    expect(await readHello(pulledId, storage)).toBe(content('amd64'));
  });

  it('lets podman pull anonymously from the public library project', async () => {
    const expected = await sb.manifest('library/pb-buildah', 'oci', { method: 'HEAD' });
    const flags = ['--tls-verify=false', '--signature-policy', sb.policy];
    const id = (await sb.podman(['pull', '-q', ...flags, `${sb.host}/library/pb-buildah:oci`], { storage: 'pull' })).stdout.trim();
    expect((await inspectPodman(id, 'pull')).RepoDigests).toContain(`${sb.host}/library/pb-buildah@${expected.digest}`);
    const push = sb.podman(['push', ...flags, 'localhost/berth-e2e:amd64', sb.ref('library/pb-anon:v1')]);
    await expect(push).rejects.toThrow(/401|unauthorized|authentication required/i);
  });

  it('finds the pushed repositories and their tags with podman search (catalog and tags list)', async () => {
    const flags = ['--tls-verify=false', '--format', 'json'];
    const { stdout } = await sb.podman(['search', ...flags, `${sb.host}/pb-`]);
    const names = (JSON.parse(stdout) as Array<{ Name: string }>).map((r) => r.Name);
    expect(names).toEqual(expect.arrayContaining([`${sb.host}/library/pb-buildah`, `${sb.host}/library/pb-podman`]));
    expect(names.every((n) => n.startsWith(`${sb.host}/library/pb-`))).toBe(true);
    const { stdout: tags } = await sb.podman(['search', ...flags, '--list-tags', `${sb.host}/library/pb-buildah`]);
    expect((JSON.parse(tags) as Array<{ Tags: string[] }>)[0]!.Tags.sort()).toEqual(['oci', 'v2s2']);
  });

  describe('a two-platform manifest list', () => {
    let listDigest: string;
    let index: ImageIndex;

    it('is pushed with buildah manifest push --all, children included', async () => {
      await sb.buildah(['manifest', 'create', 'localhost/berth-e2e-list']);
      for (const arch of ['amd64', 'arm64']) await sb.buildah(['manifest', 'add', 'localhost/berth-e2e-list', `containers-storage:localhost/berth-e2e:${arch}`]);
      const digestFile = sb.path('list.digest');
      await sb.buildah(['manifest', 'push', '--all', ...sb.registryFlags, '--digestfile', digestFile, 'localhost/berth-e2e-list', sb.ref('library/pb-multi:latest')]);
      listDigest = await readDigestFile(digestFile);

      const stored = await sb.manifestJson<ImageIndex>('library/pb-multi', 'latest');
      index = stored.json;
      expect(stored.digest).toBe(listDigest);
      expect([mediaTypes.ociIndex, mediaTypes.dockerList]).toContain(stored.contentType);
      expect(index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      for (const child of index.manifests) {
        const manifest = await sb.manifestJson('library/pb-multi', child.digest);
        expect(manifest.digest).toBe(child.digest);
        expect(manifest.contentType).toBe(child.mediaType);
        const config = await sb.blobJson<ImageConfig>('library/pb-multi', manifest.json.config.digest);
        expect(config.architecture).toBe(child.platform!.architecture);
        // The image ID (config digest) survives the push: it is the one buildah committed.
        expect(manifest.json.config.digest).toBe(`sha256:${imageIds[child.platform!.architecture]}`);
      }
    });

    it.each(['arm64', 'amd64'])('resolves to the %s child for podman pull --arch', async (arch) => {
      expect(index, 'the list push test must pass first').toBeDefined();
      const child = index.manifests.find((m) => m.platform?.architecture === arch)!;
      const manifest = await sb.manifestJson<ImageManifest>('library/pb-multi', child.digest);

      const id = (await sb.podman(['pull', '-q', '--arch', arch, ...sb.registryFlags, `${sb.host}/library/pb-multi:latest`], { storage: 'pull' })).stdout.trim();
      expect(`sha256:${id}`).toBe(manifest.json.config.digest);
      const image = await inspectPodman(id, 'pull');
      expect(image.Architecture).toBe(arch);
      expect(image.Os).toBe('linux');
      expect(image.RepoDigests).toContain(`${sb.host}/library/pb-multi@${child.digest}`);
      expect(await readHello(id, 'pull')).toBe(content(arch));
    });

    it('serves each child by digest to a platform-specific podman pull', async () => {
      expect(index, 'the list push test must pass first').toBeDefined();
      const arm = index.manifests.find((m) => m.platform?.architecture === 'arm64')!;
      const id = (await sb.podman(['pull', '-q', ...sb.registryFlags, `${sb.host}/library/pb-multi@${arm.digest}`], { storage: 'pull' })).stdout.trim();
      expect((await inspectPodman(id, 'pull')).Architecture).toBe('arm64');
      expect(id).toBe(imageIds.arm64);
    });

    it('is copied whole to another repository by skopeo copy --all with every digest preserved', async () => {
      expect(index, 'the list push test must pass first').toBeDefined();
      const digestFile = sb.path('copy-all.digest');
      await sb.skopeo(['copy', '--all', '--preserve-digests', ...sb.skopeoCopyFlags, '--digestfile', digestFile, sb.ref('library/pb-multi:latest'), sb.ref('library/pb-multi-copy:latest')]);
      expect(await readDigestFile(digestFile)).toBe(listDigest);
      const copied = await sb.manifestJson<ImageIndex>('library/pb-multi-copy', 'latest');
      expect(copied.digest).toBe(listDigest);
      expect(copied.json.manifests.map((m) => m.digest)).toEqual(index.manifests.map((m) => m.digest));
      for (const child of index.manifests) {
        const manifest = await sb.manifestJson('library/pb-multi-copy', child.digest);
        for (const blob of [manifest.json.config, ...manifest.json.layers]) expect(await sb.blobStatus('library/pb-multi-copy', blob.digest)).toBe(200);
      }
    });

    it('keeps a child while the list names it: skopeo delete of the child is refused until the list is gone', async () => {
      expect(index, 'the copy test must pass first').toBeDefined();
      const child = index.manifests[0]!.digest;
      const refused = sb.skopeo(['delete', '--tls-verify=false', '--creds', sb.creds, sb.ref(`library/pb-multi-copy@${child}`)]);
      await expect(refused).rejects.toThrow(/DENIED|part of index/);
      expect((await sb.manifest('library/pb-multi-copy', child, { method: 'HEAD' })).status).toBe(200);

      await sb.skopeo(['delete', '--tls-verify=false', '--creds', sb.creds, sb.ref('library/pb-multi-copy:latest')]);
      expect((await sb.manifest('library/pb-multi-copy', listDigest, { method: 'HEAD' })).status).toBe(404);
      await sb.skopeo(['delete', '--tls-verify=false', '--creds', sb.creds, sb.ref(`library/pb-multi-copy@${child}`)]);
      expect((await sb.manifest('library/pb-multi-copy', child, { method: 'HEAD' })).status).toBe(404);
      // The original repository is untouched.
      expect((await sb.manifest('library/pb-multi', child, { method: 'HEAD' })).status).toBe(200);
      expect((await sb.manifest('library/pb-multi', 'latest', { method: 'HEAD' })).digest).toBe(listDigest);
    });
  });
});
