import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { debianOsRelease, dpkgStanza, gzipLayer, tarOf, type LayerEntry } from '../../../test/helpers/layers.ts';
import { builtinAnalyzers } from './analyzers/index.ts';
import { imageInventory, type LayerSource } from './image-inventory.ts';
import { LayerFormatError } from './tar-walk.ts';

const gzipType = 'application/vnd.oci.image.layer.v1.tar+gzip';

function source(bytes: Buffer, mediaType = gzipType, chunk = 4096): LayerSource {
  return {
    digest: `sha256:${'0'.repeat(64)}`,
    mediaType,
    size: bytes.length,
    // Small chunks: headers and contents straddle chunk boundaries, as they do from storage.
    open: async () => (async function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
  };
}

const inventory = (layers: Buffer[], maxLayerBytes = 1 << 30) => imageInventory(layers.map((l) => source(l)), builtinAnalyzers, { maxLayerBytes });
const npmPackage = (name: string, version: string): string => JSON.stringify({ name, version, license: 'MIT' });
const metadata = (name: string, version: string): string => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nLicense: BSD-3-Clause\n\nlong description\n`;
const names = (pkgs: Array<{ ecosystem: string; name: string; version: string }>) => pkgs.map((p) => `${p.ecosystem}:${p.name}@${p.version}`).sort();

const base: LayerEntry[] = [
  { path: 'etc/', type: 'directory' },
  { path: 'usr/lib/os-release', content: debianOsRelease },
  { path: 'etc/os-release', type: 'symlink', linkName: '../usr/lib/os-release' },
  { path: 'var/lib/dpkg/status', content: [dpkgStanza({ name: 'bash', version: '5.2.15-2+b13', source: 'bash (5.2.15-2)' }), dpkgStanza({ name: 'libc6', version: '2.36-9+deb12u4', source: 'glibc' })].join('\n') },
];

describe('imageInventory', () => {
  it('reads the OS and its dpkg packages, with source names and versions', async () => {
    const inv = await inventory([gzipLayer(base)]);
    expect(inv.os).toMatchObject({ id: 'debian', versionId: '12' });
    expect(inv.packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion])).toEqual([
      ['bash', '5.2.15-2+b13', 'bash', '5.2.15-2'],
      ['libc6', '2.36-9+deb12u4', 'glibc', '2.36-9+deb12u4'],
    ]);
  });

  it('reports what the final filesystem holds: whiteouts, opaque directories and replaced files applied in order', async () => {
    const app: LayerEntry[] = [
      { path: 'app/node_modules/left-pad/package.json', content: npmPackage('left-pad', '1.3.0') },
      { path: 'app/node_modules/@scope/util/package.json', content: npmPackage('@scope/util', '2.0.0') },
      { path: 'app/node_modules/lodash/package.json', content: npmPackage('lodash', '4.17.20') },
      { path: 'usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA', content: metadata('requests', '2.31.0') },
      { path: 'usr/lib/python3/site-packages/urllib3-1.26.5.dist-info/METADATA', content: metadata('urllib3', '1.26.5') },
      { path: 'opt/venv/lib/site-packages/six-1.16.0.dist-info/METADATA', content: metadata('six', '1.16.0') },
    ];
    const changes: LayerEntry[] = [
      // left-pad removed, lodash upgraded, urllib3 removed, opt/venv emptied and given a new package.
      { path: 'app/node_modules/.wh.left-pad' },
      { path: 'app/node_modules/lodash/package.json', content: npmPackage('lodash', '4.17.21') },
      { path: 'usr/lib/python3/site-packages/.wh.urllib3-1.26.5.dist-info' },
      { path: 'opt/venv/lib/.wh..wh..opq' },
      { path: 'opt/venv/lib/site-packages/idna-3.6.dist-info/METADATA', content: metadata('idna', '3.6') },
    ];
    const inv = await inventory([gzipLayer(base), gzipLayer(app), gzipLayer(changes)]);
    expect(names(inv.packages)).toEqual([
      'Debian:bash@5.2.15-2+b13',
      'Debian:libc6@2.36-9+deb12u4',
      'PyPI:idna@3.6',
      'PyPI:requests@2.31.0',
      'npm:@scope/util@2.0.0',
      'npm:lodash@4.17.21',
    ]);
  });

  it('prefers installed node_modules over the lock file beside them, and reads a lock file alone', async () => {
    const lock = (deps: Record<string, string>) => JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'x' }, ...Object.fromEntries(Object.entries(deps).map(([n, v]) => [`node_modules/${n}`, { version: v }])) } });
    const inv = await inventory([
      gzipLayer([
        { path: 'srv/a/package-lock.json', content: lock({ express: '4.18.2', debug: '2.6.9' }) },
        { path: 'srv/a/node_modules/express/package.json', content: npmPackage('express', '4.18.2') },
        { path: 'srv/b/package-lock.json', content: lock({ minimist: '1.2.5' }) },
      ]),
    ]);
    expect(names(inv.packages)).toEqual(['npm:express@4.18.2', 'npm:minimist@1.2.5']);
  });

  it('treats dpkg packages of an Ubuntu image as Ubuntu packages', async () => {
    const inv = await inventory([gzipLayer([{ path: 'etc/os-release', content: 'ID=ubuntu\nVERSION_ID="22.04"\n' }, { path: 'var/lib/dpkg/status', content: dpkgStanza({ name: 'bash', version: '5.1-6ubuntu1' }) }])]);
    expect(inv.packages.map((p) => p.ecosystem)).toEqual(['Ubuntu']);
  });

  it('reads uncompressed and zstd layers alike', async () => {
    const tar = tarOf(base);
    const zstd = execFileSync('zstd', ['-q', '-c'], { input: tar });
    for (const [bytes, type] of [[tar, 'application/vnd.oci.image.layer.v1.tar'], [zstd, 'application/vnd.oci.image.layer.v1.tar+zstd']] as const) {
      const inv = await imageInventory([source(bytes, type)], builtinAnalyzers, { maxLayerBytes: 1 << 30 });
      expect(inv.packages).toHaveLength(2);
    }
  });

  it('skips blobs that are not filesystem layers', async () => {
    const inv = await imageInventory([source(Buffer.from('{"not":"a layer"}'), 'application/vnd.cyclonedx+json')], builtinAnalyzers, { maxLayerBytes: 1 << 30 });
    expect(inv.packages).toEqual([]);
  });

  describe('malformed layers fail with a reason', () => {
    const fails = async (layer: Buffer, reason: RegExp, maxLayerBytes?: number) => {
      const err = await inventory([layer], maxLayerBytes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LayerFormatError);
      expect((err as Error).message).toMatch(/^layer 1 \(sha256:/);
      expect((err as Error).message).toMatch(reason);
    };

    it('refuses corrupt gzip', async () => {
      const good = gzipLayer(base);
      const corrupt = Buffer.from(good);
      corrupt.fill(0x55, 20, 60);
      await fails(corrupt, /not valid gzip/);
    });

    it('refuses a gzip stream cut short', async () => {
      const good = gzipLayer(base);
      await fails(good.subarray(0, good.length - 30), /not valid gzip|truncated/);
    });

    it('refuses a truncated tar', async () => {
      const tar = tarOf(base, { end: false });
      await fails(gzipSync(tar.subarray(0, tar.length - 700)), /truncated/);
    });

    it('refuses a header with a bad checksum', async () => {
      const tar = tarOf(base);
      tar[10] = 0x41;
      await fails(gzipSync(tar), /not a valid tar stream: bad header checksum at byte 0/);
    });

    it('refuses a path escaping the image root', async () => {
      await fails(gzipLayer([...base, { path: 'usr/../../etc/shadow', content: 'x' }]), /escapes the image root/);
    });

    it('refuses an entry claiming 10 GB that the layer does not hold', async () => {
      await fails(gzipLayer([{ path: 'var/lib/big.img', claimedSize: 10 * 1024 ** 3 }]), /truncated .*claims 10737418240 bytes/);
    });

    it('never fails with anything but a layer error, however the bytes are damaged', async () => {
      // A seeded walk over damaged copies of a real layer: flipped bytes anywhere (headers, sizes, contents, the
      // package databases), and cuts at every kind of boundary. Each must scan or fail with LayerFormatError.
      const tar = tarOf([
        ...base,
        { path: 'app/node_modules/lodash/package.json', content: npmPackage('lodash', '4.17.21') },
        { path: `usr/lib/python3/${'deep/'.repeat(30)}x-1.0.dist-info/METADATA`, content: metadata('x', '1.0') },
      ]);
      let seed = 7;
      const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
      for (let i = 0; i < 300; i++) {
        const damaged = Buffer.from(tar);
        for (let k = 0, flips = 1 + random(8); k < flips; k++) damaged[random(damaged.length)] = random(256);
        const cut = random(4) === 0 ? damaged.subarray(0, random(damaged.length)) : damaged;
        const layer = random(2) === 0 ? gzipSync(cut) : cut;
        await imageInventory([source(layer, random(2) === 0 ? gzipType : 'application/vnd.oci.image.layer.v1.tar')], builtinAnalyzers, { maxLayerBytes: 1 << 30 }).catch((err: unknown) => {
          if (!(err instanceof LayerFormatError)) throw new Error(`case ${i}: ${(err as Error).stack}`);
        });
      }
    });

    it('refuses a layer that expands past the limit', async () => {
      await fails(gzipLayer([{ path: 'var/zeros', content: Buffer.alloc(4 << 20) }]), /expands past 1048576 bytes/, 1 << 20);
    });
  });
});
