import type { Readable } from 'node:stream';
import { ClientError } from './errors.ts';

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ManifestBytes {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/**
 * Where an image comes from: an OCI layout, an archive, a registry. Manifests are small and read whole; blobs
 * are opened as streams.
 */
export interface ImageSource {
  /** What the source is, for messages (`oci:./build`, `docker-archive:app.tar`). */
  readonly name: string;
  /** The root manifest (an image manifest or an index). */
  root(): Promise<ManifestBytes>;
  manifest(descriptor: Descriptor): Promise<ManifestBytes>;
  openBlob(descriptor: Descriptor): Promise<Readable>;
  /** Where a blob already lives on a registry, for a cross-repository mount (a registry source knows). */
  mountCandidate?(registryUrl: string): string | undefined;
  close?(): Promise<void>;
}

export const indexTypes = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

interface ManifestJson {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
  blobs?: Descriptor[];
}

export function parseManifest(m: ManifestBytes): ManifestJson {
  try {
    const json = JSON.parse(m.bytes.toString('utf8')) as ManifestJson;
    if (typeof json !== 'object' || json === null) throw new Error('not an object');
    return json;
  } catch (err) {
    throw new ClientError('invalid', `manifest ${m.digest} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The manifest's children: the child manifests of an index, or the config and layers of an image manifest. */
export function childrenOf(m: ManifestBytes): { manifests: Descriptor[]; blobs: Descriptor[] } {
  const json = parseManifest(m);
  if (indexTypes.has(m.mediaType) || Array.isArray(json.manifests)) return { manifests: json.manifests ?? [], blobs: [] };
  const blobs = [...(json.config ? [json.config] : []), ...(json.layers ?? []), ...(json.blobs ?? [])];
  for (const b of blobs) {
    if (typeof b?.digest !== 'string' || typeof b.size !== 'number') throw new ClientError('invalid', `manifest ${m.digest} has a descriptor without a digest and size`);
  }
  return { manifests: [], blobs };
}

/** The media type a manifest declares, or the fallback its context gives (a descriptor's, a registry's header). */
export const declaredType = (bytes: Buffer, fallback: string): string => {
  try {
    return (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? fallback;
  } catch {
    return fallback;
  }
};

/** Every manifest under a root, children before parents (the order a registry accepts them in), and every blob once. */
export async function collect(source: ImageSource, root: ManifestBytes): Promise<{ manifests: ManifestBytes[]; blobs: Descriptor[] }> {
  const manifests: ManifestBytes[] = [];
  const blobs = new Map<string, Descriptor>();
  const visit = async (m: ManifestBytes, depth: number): Promise<void> => {
    if (depth > 4) throw new ClientError('invalid', `${source.name}: indexes nest deeper than 4 levels`);
    const { manifests: children, blobs: own } = childrenOf(m);
    for (const child of children) await visit(await source.manifest(child), depth + 1);
    for (const b of own) if (!blobs.has(b.digest)) blobs.set(b.digest, b);
    if (!manifests.some((x) => x.digest === m.digest)) manifests.push(m);
  };
  await visit(root, 0);
  return { manifests, blobs: [...blobs.values()] };
}
