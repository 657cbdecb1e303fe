import { artifactKind } from '../artifacts/artifact-type.ts';
import type { ArtifactRow } from '../db/types.ts';
import { manifestKindOf } from '../registry/media-types.ts';

/**
 * Whether an artifact has a filesystem to scan: container images, and indexes of them (each child is scanned).
 * Charts, SBOMs, signatures and other OCI artifacts have no packages to find.
 */
export function isScannable(a: Pick<ArtifactRow, 'media_type' | 'config_media_type' | 'artifact_type' | 'annotations'>): boolean {
  const kind = manifestKindOf(a.media_type);
  if (kind === 'index') return true;
  if (kind !== 'image') return false;
  return artifactKind({ manifestMediaType: a.media_type, configMediaType: a.config_media_type, artifactType: a.artifact_type, annotations: a.annotations }) === 'IMAGE';
}
