import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import {
  mediaTypes,
  readDigestFile,
  requireTools,
  Sandbox,
  sha256,
  startupTimeout,
  umociImage,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './tools.ts';

interface VerboseEntry {
  Ref: string;
  Descriptor: Descriptor;
  SchemaV2Manifest: ImageManifest;
}

const lastLine = (text: string): string => text.trim().split('\n').pop()!.trim();

/**
 * The docker CLI without a daemon: `docker manifest create/annotate/push/inspect --insecure` assemble a manifest
 * list from two single-platform Docker v2s2 images pushed with skopeo.
 */
describe('docker manifest (daemonless)', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  const children: Record<string, string> = {};
  let ref: (tag: string) => string;

  beforeAll(async () => {
    await requireTools('docker', 'skopeo', 'umoci');
    berth = await startBerthProcess();
    sb = await Sandbox.create('docker', berth);
    ref = (tag) => `${sb.host}/library/multi${tag}`;
    const layout = sb.path('layout');
    for (const arch of ['amd64', 'arm64']) {
      await umociImage(sb, layout, arch, { layers: [{ 'arch.txt': `${arch}\n` }], architecture: arch });
      const digestFile = sb.path(`${arch}.digest`);
      await sb.skopeo(['copy', ...sb.skopeoCopyFlags, '--format', 'v2s2', '--digestfile', digestFile, `oci:${layout}:${arch}`, sb.ref(`library/multi:${arch}`)]);
      children[arch] = await readDigestFile(digestFile);
    }
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  it('creates and pushes a manifest list whose children are the pushed images', async () => {
    const { stdout: created } = await sb.docker(['manifest', 'create', '--insecure', ref(':latest'), ref(':amd64'), ref(':arm64')]);
    expect(created).toContain(`Created manifest list ${ref(':latest')}`);
    const { stdout } = await sb.docker(['manifest', 'push', '--insecure', ref(':latest')]);
    const pushed = lastLine(stdout);
    expect(pushed).toMatch(/^sha256:[0-9a-f]{64}$/);

    const stored = await sb.manifestJson<ImageIndex>('library/multi', 'latest');
    expect(stored.digest).toBe(pushed);
    expect(stored.contentType).toBe(mediaTypes.dockerList);
    expect(stored.json.mediaType).toBe(mediaTypes.dockerList);
    const byArch = Object.fromEntries(stored.json.manifests.map((m) => [m.platform!.architecture, m]));
    expect(Object.keys(byArch).sort()).toEqual(['amd64', 'arm64']);
    for (const arch of ['amd64', 'arm64']) {
      const child = byArch[arch]!;
      expect(child.digest).toBe(children[arch]);
      expect(child.mediaType).toBe(mediaTypes.dockerManifest);
      expect(child.platform!.os).toBe('linux');
      const manifest = await sb.manifest('library/multi', child.digest, { method: 'HEAD' });
      expect(manifest.status).toBe(200);
      expect(Number((await sb.manifest('library/multi', child.digest)).body.length)).toBe(child.size);
    }
  });

  it('inspects the pushed list with docker manifest inspect --insecure', async () => {
    const stored = await sb.manifestJson<ImageIndex>('library/multi', 'latest');
    const { stdout } = await sb.docker(['manifest', 'inspect', '--insecure', ref(':latest')]);
    const inspected = JSON.parse(stdout) as ImageIndex;
    expect(inspected.mediaType).toBe(mediaTypes.dockerList);
    expect(inspected.manifests).toEqual(stored.json.manifests);

    const { stdout: verbose } = await sb.docker(['manifest', 'inspect', '--insecure', '--verbose', ref(':latest')]);
    const entries = JSON.parse(verbose) as VerboseEntry[];
    expect(entries.map((e) => e.Descriptor.digest).sort()).toEqual([children.amd64, children.arm64].sort());
    for (const entry of entries) {
      const child = await sb.manifestJson('library/multi', entry.Descriptor.digest);
      expect(entry.SchemaV2Manifest.config.digest).toBe(child.json.config.digest);
      expect(entry.SchemaV2Manifest.layers.map((l) => l.digest)).toEqual(child.json.layers.map((l) => l.digest));
    }
  });

  it('inspects a single-platform image with docker manifest inspect --insecure', async () => {
    const { stdout } = await sb.docker(['manifest', 'inspect', '--insecure', ref(':arm64')]);
    const inspected = JSON.parse(stdout) as ImageManifest;
    const stored = await sb.manifestJson('library/multi', 'arm64');
    expect(stored.digest).toBe(children.arm64);
    expect(inspected.mediaType).toBe(mediaTypes.dockerManifest);
    expect(inspected.config.digest).toBe(stored.json.config.digest);
  });

  it('resolves the pushed list to the right child for each platform', async () => {
    const list = await sb.manifest('library/multi', 'latest', { method: 'HEAD' });
    for (const arch of ['amd64', 'arm64']) {
      const { stdout } = await sb.skopeo(['--override-arch', arch, '--override-os', 'linux', 'inspect', '--tls-verify=false', '--no-creds', sb.ref('library/multi:latest')]);
      const info = JSON.parse(stdout) as { Digest: string; Architecture: string };
      expect(info.Digest).toBe(list.digest);
      expect(info.Architecture).toBe(arch);
      // Copying through the list picks the child for the platform, byte for byte (dir: keeps v2s2 as it is).
      const dir = sb.path(`resolved-${arch}`);
      await sb.skopeo(['--override-arch', arch, '--override-os', 'linux', 'copy', '--src-tls-verify=false', '--src-no-creds', sb.ref('library/multi:latest'), `dir:${dir}`]);
      expect(sha256(await readFile(path.join(dir, 'manifest.json')))).toBe(children[arch]);
    }
  });

  it('pushes the platform set with docker manifest annotate', async () => {
    await sb.docker(['manifest', 'create', '--insecure', ref(':annotated'), ref(':amd64'), ref(':arm64')]);
    await sb.docker(['manifest', 'annotate', '--variant', 'v8', '--os-features', 'e2e', ref(':annotated'), ref(':arm64')]);
    const { stdout } = await sb.docker(['manifest', 'push', '--insecure', '--purge', ref(':annotated')]);
    const stored = await sb.manifestJson<ImageIndex>('library/multi', 'annotated');
    expect(stored.digest).toBe(lastLine(stdout));
    const arm = stored.json.manifests.find((m) => m.platform?.architecture === 'arm64')!;
    expect(arm.digest).toBe(children.arm64);
    expect(arm.platform).toMatchObject({ os: 'linux', architecture: 'arm64', variant: 'v8', 'os.features': ['e2e'] });
    const amd = stored.json.manifests.find((m) => m.platform?.architecture === 'amd64')!;
    expect(amd.platform?.variant).toBeUndefined();
    expect(stored.digest).not.toBe((await sb.manifest('library/multi', 'latest', { method: 'HEAD' })).digest);
  });

  it('pushes a list into another repository, bringing the children and their blobs along', async () => {
    const target = `${sb.host}/library/multi-copy:latest`;
    await sb.docker(['manifest', 'create', '--insecure', target, ref(':amd64'), ref(':arm64')]);
    const { stdout } = await sb.docker(['manifest', 'push', '--insecure', '--purge', target]);
    const stored = await sb.manifestJson<ImageIndex>('library/multi-copy', 'latest');
    expect(stored.digest).toBe(lastLine(stdout));
    // Same children, so the same list bytes as in library/multi.
    expect(stored.digest).toBe((await sb.manifest('library/multi', 'latest', { method: 'HEAD' })).digest);
    for (const arch of ['amd64', 'arm64']) {
      const child = await sb.manifestJson('library/multi-copy', children[arch]!);
      expect(child.digest).toBe(children[arch]);
      for (const blob of [child.json.config, ...child.json.layers]) expect(await sb.blobStatus('library/multi-copy', blob.digest)).toBe(200);
    }
  });

  it('removes a local list with docker manifest rm without touching the registry', async () => {
    const localLists = async (): Promise<string[]> => readdir(sb.path('docker', 'manifests'));
    const local = `${sb.host.replace(':', '-')}_library_multi-latest`;
    expect(await localLists()).toContain(local);
    await sb.docker(['manifest', 'rm', ref(':latest')]);
    expect(await localLists()).not.toContain(local);
    const { stdout } = await sb.docker(['manifest', 'inspect', '--insecure', ref(':latest')]);
    expect((JSON.parse(stdout) as ImageIndex).manifests.map((m) => m.digest).sort()).toEqual([children.amd64, children.arm64].sort());
    expect((await sb.manifest('library/multi', 'latest', { method: 'HEAD' })).status).toBe(200);
  });
});
