import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess, type BerthProcess } from '../helpers/berth-process.ts';
import {
  layoutBlob,
  layoutDigest,
  mediaTypes,
  requireTools,
  Sandbox,
  startupTimeout,
  umociImage,
  type ImageManifest,
} from './tools.ts';

const files = {
  base: { 'etc/motd': 'welcome to berth\n', 'hello.txt': 'hello from umoci\n' },
  app: { 'app/config.yaml': 'replicas: 3\n', 'app/bin/run.sh': '#!/bin/sh\necho run\n' },
};

/** Every blob digest an OCI layout holds. */
async function layoutBlobs(layout: string): Promise<string[]> {
  return (await readdir(path.join(layout, 'blobs', 'sha256'))).map((hex) => `sha256:${hex}`).sort();
}

/** umoci builds and unpacks OCI layouts; skopeo moves them through Berth in between. */
describe('umoci', () => {
  let berth: BerthProcess;
  let sb: Sandbox;
  let source: string;
  let digest: string;

  beforeAll(async () => {
    await requireTools('umoci', 'skopeo');
    berth = await startBerthProcess();
    sb = await Sandbox.create('umoci', berth);
    source = sb.path('source');
    digest = await umociImage(sb, source, '1.0', { layers: [files.base, files.app] });
  }, startupTimeout);
  afterAll(async () => {
    await berth?.stop();
    await sb?.cleanup();
  });

  it('pushes a two-layer umoci image and pulls it into a fresh layout with identical blobs', async () => {
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${source}:1.0`, sb.ref('library/umoci-app:1.0')]);
    const stored = await sb.manifestJson('library/umoci-app', '1.0');
    expect(stored.digest).toBe(digest);
    expect(stored.contentType).toBe(mediaTypes.ociManifest);
    expect(stored.json.layers).toHaveLength(2);

    const fresh = sb.path('fresh');
    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, sb.ref('library/umoci-app:1.0'), `oci:${fresh}:1.0`]);
    expect(await layoutDigest(fresh, '1.0')).toBe(digest);
    // Same manifest, config and layers, byte for byte (the source layout holds nothing else for this tag).
    const manifest = JSON.parse((await layoutBlob(fresh, digest)).toString()) as ImageManifest;
    const expected = [digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)].sort();
    expect(await layoutBlobs(fresh)).toEqual(expected);
    for (const d of expected) expect((await layoutBlob(fresh, d)).equals(await layoutBlob(source, d))).toBe(true);
    const { stdout } = await sb.umoci(['ls', '--layout', fresh]);
    expect(stdout.trim().split('\n')).toEqual(['1.0']);
  });

  it('unpacks the pulled image with umoci unpack --rootless to the original files', async () => {
    const fresh = sb.path('fresh');
    const bundle = sb.path('bundle');
    await sb.umoci(['unpack', '--rootless', '--image', `${fresh}:1.0`, bundle]);
    for (const [file, text] of Object.entries({ ...files.base, ...files.app })) {
      expect(await readFile(path.join(bundle, 'rootfs', file), 'utf8')).toBe(text);
    }
    // The runtime bundle records the manifest it came from.
    const meta = JSON.parse(await readFile(path.join(bundle, 'umoci.json'), 'utf8')) as { from_descriptor_path: { descriptor_walk: Array<{ digest: string }> } };
    expect(meta.from_descriptor_path.descriptor_walk.map((d) => d.digest)).toContain(digest);
  });

  it('unpacks the pulled image with umoci raw unpack to the original files', async () => {
    const rootfs = sb.path('raw-rootfs');
    await sb.umoci(['raw', 'unpack', '--rootless', '--image', `${sb.path('fresh')}:1.0`, rootfs]);
    for (const [file, text] of Object.entries({ ...files.base, ...files.app })) {
      expect(await readFile(path.join(rootfs, file), 'utf8')).toBe(text);
    }
  });

  it('repacks a changed bundle, pushes it as a new tag and pulls the change back', async () => {
    const fresh = sb.path('fresh');
    const bundle = sb.path('bundle');
    await writeFile(path.join(bundle, 'rootfs', 'app/config.yaml'), 'replicas: 5\n');
    await sb.umoci(['repack', '--image', `${fresh}:1.1`, bundle]);
    const changed = await layoutDigest(fresh, '1.1');
    expect(changed).not.toBe(digest);

    await sb.skopeo(['copy', ...sb.skopeoCopyFlags, `oci:${fresh}:1.1`, sb.ref('library/umoci-app:1.1')]);
    const stored = await sb.manifestJson('library/umoci-app', '1.1');
    expect(stored.digest).toBe(changed);
    // The repacked image adds one layer on top of the two it started from, which the registry already had.
    const original = await sb.manifestJson('library/umoci-app', '1.0');
    expect(stored.json.layers.slice(0, 2)).toEqual(original.json.layers);
    expect(stored.json.layers).toHaveLength(3);

    const again = sb.path('again');
    await sb.skopeo(['copy', '--src-tls-verify=false', '--src-no-creds', sb.ref('library/umoci-app:1.1'), `oci:${again}:1.1`]);
    expect(await layoutDigest(again, '1.1')).toBe(changed);
    const rootfs = sb.path('again-rootfs');
    await sb.umoci(['raw', 'unpack', '--rootless', '--image', `${again}:1.1`, rootfs]);
    expect(await readFile(path.join(rootfs, 'app/config.yaml'), 'utf8')).toBe('replicas: 5\n');
    expect(await readFile(path.join(rootfs, 'hello.txt'), 'utf8')).toBe(files.base['hello.txt']);
  });

  it('keeps both tags of the repository, each resolving to its own digest', async () => {
    const { stdout } = await sb.skopeo(['list-tags', '--tls-verify=false', '--no-creds', sb.ref('library/umoci-app')]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags.sort()).toEqual(['1.0', '1.1']);
    expect((await sb.manifest('library/umoci-app', '1.0', { method: 'HEAD', anonymous: true })).digest).toBe(digest);
    expect((await sb.manifest('library/umoci-app', '1.1', { method: 'HEAD', anonymous: true })).digest).toBe(await layoutDigest(sb.path('fresh'), '1.1'));
  });
});
