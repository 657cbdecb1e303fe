import { stat } from 'node:fs/promises';
import { ClientError } from '../errors.ts';
import type { ImageSource } from '../image.ts';
import { dockerArchiveSource } from './docker-archive.ts';
import { directoryTree, tarTree } from './files.ts';
import { ociLayoutSource } from './oci-layout.ts';

/**
 * A local image source named as skopeo names transports: `oci:<dir>[:<ref>]`, `oci-archive:<file>[:<ref>]`,
 * `docker-archive:<file>[:<repo:tag>]`, or a bare path, recognised by what it holds (a directory with an
 * `oci-layout` file; a tar with `oci-layout`, or with docker's `manifest.json`).
 */
export async function openLocalSource(spec: string): Promise<ImageSource> {
  const m = /^(oci|oci-archive|docker-archive):(.+)$/.exec(spec);
  if (m) {
    const [, kind, rest] = m as unknown as [string, string, string];
    // The path ends at the first colon after which a name follows; paths with colons can be given bare.
    const colon = kind === 'docker-archive' ? rest.indexOf(':') : rest.lastIndexOf(':');
    const file = colon > 0 ? rest.slice(0, colon) : rest;
    const ref = colon > 0 ? rest.slice(colon + 1) : undefined;
    if (kind === 'oci') return ociLayoutSource(directoryTree(file), kind, ref);
    const tree = await tarTree(file);
    return kind === 'oci-archive' ? ociLayoutSource(tree, kind, ref) : dockerArchiveSource(tree, ref);
  }
  const s = await stat(spec).catch(() => undefined);
  if (!s) throw new ClientError('invalid', `${spec}: no such file or directory (give an OCI layout directory, an oci-archive tar or a docker save tarball)`);
  if (s.isDirectory()) return ociLayoutSource(directoryTree(spec), 'oci');
  const tree = await tarTree(spec);
  if (tree.names().includes('oci-layout') && tree.names().includes('index.json')) return ociLayoutSource(tree, 'oci-archive');
  if (tree.names().includes('manifest.json')) return dockerArchiveSource(tree);
  throw new ClientError('invalid', `${spec} is a tar archive but neither an OCI layout (oci-layout, index.json) nor a docker save tarball (manifest.json)`);
}
