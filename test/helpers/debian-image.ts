import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cache = path.resolve(import.meta.dirname, '../.cache');
export const debianRootfsDir = path.join(cache, 'debian-bookworm-minbase');
export const debianLayoutDir = path.join(cache, 'debian-bookworm-oci');
export const debianTag = 'bookworm';

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * A Debian bookworm minbase root filesystem made by debootstrap from Debian's mirror (about 25 s), cached under
 * test/.cache so the suite and the benchmark build it once per machine. Built in a temporary directory and renamed
 * into place, so an interrupted build is never mistaken for a finished one.
 */
export async function debianRootfs(): Promise<string> {
  if (await exists(path.join(debianRootfsDir, 'var/lib/dpkg/status'))) return debianRootfsDir;
  await mkdir(cache, { recursive: true });
  const tmp = `${debianRootfsDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await run('debootstrap', ['--variant=minbase', 'bookworm', tmp, 'http://deb.debian.org/debian'], { maxBuffer: 64 << 20, timeout: 600_000 });
  if (!(await exists(path.join(debianRootfsDir, 'var/lib/dpkg/status')))) await rename(tmp, debianRootfsDir);
  else await rm(tmp, { recursive: true, force: true });
  return debianRootfsDir;
}

/** The packages `dpkg-query` reports inside the root filesystem: binary name, version, source name and version. */
export async function dpkgQuery(rootfs: string): Promise<Array<{ name: string; version: string; source: string; sourceVersion: string }>> {
  const { stdout } = await run('chroot', [rootfs, 'dpkg-query', '-W', '-f', '${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n'], { maxBuffer: 16 << 20 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', version = '', source = '', sourceVersion = ''] = line.split('\t');
      return { name, version, source, sourceVersion };
    });
}

/**
 * The root filesystem packed as a one-layer OCI image layout (GNU tar with numeric owners, sorted names and a
 * fixed mtime, gzip without a timestamp: the same bytes on every machine with the same rootfs), without the
 * downloaded .debs, cached beside it.
 * Returns the layout directory, the tag, and the layer's compressed size.
 */
export async function debianImageLayout(): Promise<{ layout: string; tag: string; manifestDigest: string; layerSize: number }> {
  const rootfs = await debianRootfs();
  const indexFile = path.join(debianLayoutDir, 'index.json');
  if (!(await exists(indexFile))) {
    const tmp = `${debianLayoutDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    const blobs = path.join(tmp, 'blobs/sha256');
    await mkdir(blobs, { recursive: true });
    const tar = path.join(tmp, 'layer.tar');
    // Without the .debs debootstrap downloaded and the package lists, as Debian's own images are published.
    const excludes = ['--exclude=./var/cache/apt/archives/*.deb', '--exclude=./var/lib/apt/lists/*_*'];
    await run('tar', ['--numeric-owner', '--sort=name', '--mtime=@0', '--xattrs', ...excludes, '-C', rootfs, '-cf', tar, '.'], { maxBuffer: 16 << 20 });
    const diffId = await sha256File(tar);
    await run('gzip', ['-n', '-6', tar]);
    const layerDigest = await sha256File(`${tar}.gz`);
    const layerSize = (await stat(`${tar}.gz`)).size;
    await rename(`${tar}.gz`, path.join(blobs, layerDigest));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2026-12-01T00:00:00Z', config: { Cmd: ['/bin/bash'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }));
    const configDigest = createHash('sha256').update(config).digest('hex');
    await writeFile(path.join(blobs, configDigest), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configDigest}`, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layerDigest}`, size: layerSize }],
      }),
    );
    const manifestDigest = createHash('sha256').update(manifest).digest('hex');
    await writeFile(path.join(blobs, manifestDigest), manifest);
    await writeFile(path.join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      path.join(tmp, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${manifestDigest}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': debianTag } }] }),
    );
    if (!(await exists(indexFile))) await rename(tmp, debianLayoutDir);
    else await rm(tmp, { recursive: true, force: true });
  }
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifestDigest = index.manifests[0]!.digest;
  const manifest = JSON.parse(await readFile(path.join(debianLayoutDir, 'blobs/sha256', manifestDigest.slice(7)), 'utf8')) as { layers: Array<{ size: number }> };
  return { layout: debianLayoutDir, tag: debianTag, manifestDigest, layerSize: manifest.layers[0]!.size };
}
