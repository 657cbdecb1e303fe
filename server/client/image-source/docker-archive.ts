import { digestOf } from '../digest.ts';
import { ClientError } from '../errors.ts';
import type { Descriptor, ImageSource, ManifestBytes } from '../image.ts';
import type { FileTree } from './files.ts';
import { hashStream } from './oci-layout.ts';

interface SaveEntry {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const ociConfig = 'application/vnd.oci.image.config.v1+json';

/**
 * An image from a `docker save` tarball (the legacy layout: manifest.json naming a config and uncompressed layer
 * tars). The registry needs a manifest, which the archive does not have, so one is made: an OCI image manifest
 * whose config is the archive's config (docker's config is the OCI config) and whose layers are the archive's own
 * bytes (tar, or tar+gzip when they are gzip), each hashed once here since the archive does not give layer digests.
 */
export async function dockerArchiveSource(tree: FileTree, pick?: string): Promise<ImageSource> {
  let entries: SaveEntry[];
  try {
    entries = JSON.parse((await tree.read('manifest.json')).toString('utf8')) as SaveEntry[];
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (err) {
    throw new ClientError('invalid', `${tree.label}: manifest.json is not a docker save manifest (${(err as Error).message})`);
  }
  let entry: SaveEntry | undefined;
  if (pick) entry = entries.find((e) => (e.RepoTags ?? []).some((t) => t === pick || t.endsWith(`/${pick}`)));
  else if (entries.length === 1) entry = entries[0];
  if (!entry) {
    const names = entries.flatMap((e) => e.RepoTags ?? []);
    throw new ClientError(pick ? 'not-found' : 'invalid', pick ? `${tree.label} has no image ${pick}; it has ${names.join(', ') || 'untagged images'}` : `${tree.label} holds ${entries.length} images; name one (docker-archive:${tree.label}:<repo:tag>)`);
  }
  if (!entry.Config || !Array.isArray(entry.Layers)) throw new ClientError('invalid', `${tree.label}: the manifest.json entry lacks Config or Layers`);
  const config = await tree.read(entry.Config);
  const byDigest = new Map<string, string>();
  const layers: Descriptor[] = [];
  for (const file of entry.Layers) {
    const { digest, size, head } = await hashStream(tree.open(file) as AsyncIterable<Buffer>);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    byDigest.set(digest, file);
    layers.push({ mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest, size });
  }
  const configDigest = digestOf(config);
  byDigest.set(configDigest, entry.Config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ociManifest, config: { mediaType: ociConfig, digest: configDigest, size: config.length }, layers }));
  const root: ManifestBytes = { digest: digestOf(manifest), mediaType: ociManifest, bytes: manifest };
  return {
    name: `docker-archive:${tree.label}`,
    root: async () => root,
    manifest: async (d) => {
      if (d.digest !== root.digest) throw new ClientError('invalid', `${tree.label} has no manifest ${d.digest}`);
      return root;
    },
    openBlob: async (d) => {
      const file = byDigest.get(d.digest);
      if (!file) throw new ClientError('invalid', `${tree.label} has no blob ${d.digest}`);
      return tree.open(file);
    },
  };
}
