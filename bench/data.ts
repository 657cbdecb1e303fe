// Test payloads, generated once per run before any timing so both targets get
// byte-identical input and hashing never lands inside a measured interval.
import { createHash, randomBytes } from 'node:crypto';

export interface Blob {
  data: Buffer;
  digest: string;
}

export interface Image {
  tag: string;
  layer: Blob;
  config: Blob;
  manifest: Blob; // canonical JSON bytes as pushed
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export function sha256(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

export function blob(data: Buffer): Blob {
  return { data, digest: sha256(data) };
}

/** Random bytes; crypto.randomBytes is fast enough (~1 GB/s) and incompressible. */
export function randomBlob(size: number): Blob {
  return blob(randomBytes(size));
}

/** A small but valid OCI image: one layer, a config referencing it, a manifest. */
export function makeImage(tag: string, layerSize = 1024): Image {
  const layer = randomBlob(layerSize);
  const config = blob(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'bench.nonce': randomBytes(8).toString('hex'), 'bench.tag': tag } },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.data.length },
    layers: [{ mediaType: OCI_LAYER, digest: layer.digest, size: layer.data.length }],
  })));
  return { tag, layer, config, manifest };
}

export interface Dataset {
  big: Blob; // monolithic push, then pulled
  bigChunked: Blob; // a different blob, so the chunked push is never a re-push of an existing digest
  latest: Image; // target of the manifest GET/HEAD workload, tag "latest"
  images: Image[]; // the many-small-images workload
}

export function makeDataset(bigSize: number, imageCount: number): Dataset {
  return {
    big: randomBlob(bigSize),
    bigChunked: randomBlob(bigSize),
    latest: makeImage('latest'),
    images: Array.from({ length: imageCount }, (_, i) => makeImage(`img-${String(i).padStart(4, '0')}`)),
  };
}
