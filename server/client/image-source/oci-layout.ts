import { createHash } from 'node:crypto';
import { digestOf, hexOf } from '../digest.ts';
import { ClientError } from '../errors.ts';
import { declaredType, type Descriptor, type ImageSource, type ManifestBytes } from '../image.ts';
import type { FileTree } from './files.ts';

const refName = 'org.opencontainers.image.ref.name';

interface LayoutIndex {
  manifests?: Descriptor[];
}

const blobPath = (digest: string): string => `blobs/sha256/${hexOf(digest)}`;

/** The names an index entry answers to: its ref.name annotation and the tag of containerd's image name. */
function namesOf(d: Descriptor): string[] {
  const out: string[] = [];
  const ref = d.annotations?.[refName];
  if (ref) out.push(ref);
  const image = d.annotations?.['io.containerd.image.name'];
  if (image) out.push(image, image.slice(image.lastIndexOf(':') + 1));
  return out;
}

/**
 * An image in an OCI image layout (a directory, or the same tree in an `oci-archive` tar). `ref` picks the index
 * entry by its `org.opencontainers.image.ref.name`; without it the layout must hold one image. Manifests are
 * checked against their digests as they are read; blobs are streamed as they are (the registry checks them).
 */
export async function ociLayoutSource(tree: FileTree, kind: string, ref?: string): Promise<ImageSource> {
  if (!(await tree.has('oci-layout'))) throw new ClientError('invalid', `${tree.label} is not an OCI image layout (no oci-layout file)`);
  let index: LayoutIndex;
  try {
    index = JSON.parse((await tree.read('index.json')).toString('utf8')) as LayoutIndex;
  } catch (err) {
    throw new ClientError('invalid', `${tree.label}: index.json is not valid JSON (${(err as Error).message})`);
  }
  const entries = index.manifests ?? [];
  let chosen: Descriptor | undefined;
  if (ref) {
    chosen = entries.find((d) => namesOf(d).includes(ref));
    if (!chosen) throw new ClientError('not-found', `${tree.label} has no image named ${ref}; it has ${entries.map((d) => namesOf(d)[0] ?? d.digest).join(', ') || 'none'}`);
  } else if (entries.length === 1) {
    chosen = entries[0];
  } else {
    throw new ClientError('invalid', `${tree.label} holds ${entries.length} images; name one (${kind}:${tree.label}:<name>), one of ${entries.map((d) => namesOf(d)[0] ?? d.digest).join(', ')}`);
  }
  const read = async (d: Descriptor): Promise<ManifestBytes> => {
    const bytes = await tree.read(blobPath(d.digest));
    const digest = digestOf(bytes);
    if (digest !== d.digest) throw new ClientError('invalid', `${tree.label}: ${blobPath(d.digest)} hashes to ${digest}, not ${d.digest}`);
    return { digest, bytes, mediaType: declaredType(bytes, d.mediaType) };
  };
  const root = chosen!;
  return {
    name: `${kind}:${tree.label}${ref ? `:${ref}` : ''}`,
    root: () => read(root),
    manifest: read,
    openBlob: async (d) => tree.open(blobPath(d.digest)),
  };
}

/** sha256 of a stream, for content whose digest an archive does not give (docker save layers). */
export async function hashStream(stream: AsyncIterable<Buffer>): Promise<{ digest: string; size: number; head: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  for await (const chunk of stream) {
    if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4)]).subarray(0, 4);
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size, head };
}
