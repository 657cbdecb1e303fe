import { presentLabel } from '../labels/labels.presenter.ts';
import { manifestKindOf } from '../registry/media-types.ts';
import { accessoryType, parseCosignTag } from './accessory-type.ts';
import type { AccessoryRow } from './accessories.repo.ts';
import { harborArtifactType, harborMediaType } from './artifact-type.ts';
import type { TagRow } from './artifact-views.repo.ts';
import type { ArtifactDetails } from './artifacts.service.ts';
import type { RepositoryViewRow } from './repository-views.repo.ts';

/** Harbor's "never": Go's zero time, which Harbor clients test for. */
const never = '0001-01-01T00:00:00.000Z';
const iso = (d: Date | null): string => (d ? d.toISOString() : never);

/** The repository name inside its project as Harbor puts it in paths: slashes double-encoded (`a/b` -> `a%252Fb`). */
export const encodeRepositoryPath = (fullName: string): string => fullName.slice(fullName.indexOf('/') + 1).replaceAll('/', '%252F');

/** `/api/v2.0/projects/<p>/repositories/<r>`, the path of a repository resource. */
export function repositoryPath(fullName: string): string {
  return `/api/v2.0/projects/${fullName.slice(0, fullName.indexOf('/'))}/repositories/${encodeRepositoryPath(fullName)}`;
}

/** Harbor's Repository. */
export const presentRepository = (r: RepositoryViewRow): Record<string, unknown> => ({
  id: r.id,
  project_id: r.project_id,
  name: r.name,
  description: r.description,
  artifact_count: r.artifact_count,
  pull_count: r.pull_count,
  creation_time: r.created_at.toISOString(),
  update_time: r.updated_at.toISOString(),
});

/** Harbor's Tag; `immutable` comes from the immutability seam (false until it is wired). */
export const presentTag = (t: TagRow, immutable = false): Record<string, unknown> => ({
  id: t.id,
  repository_id: t.repository_id,
  artifact_id: t.artifact_id,
  name: t.name,
  push_time: t.push_time.toISOString(),
  pull_time: iso(t.pull_time),
  immutable,
});

/** Harbor's Accessory. Berth keeps no separate accessory rows, so an accessory's id is its artifact's id. */
export function presentAccessory(a: AccessoryRow): Record<string, unknown> {
  const viaTag = a.cosign_tag ? parseCosignTag(a.cosign_tag) : undefined;
  const artifactType = harborArtifactType({ manifestMediaType: a.media_type, configMediaType: a.config_media_type, artifactType: a.artifact_type });
  return {
    id: a.id,
    artifact_id: a.id,
    subject_artifact_id: a.subject_id,
    subject_artifact_digest: a.subject_digest,
    subject_artifact_repo: a.repository_name,
    size: a.size,
    digest: a.digest,
    type: accessoryType({ artifactType, cosignSuffix: viaTag?.suffix }),
    icon: '',
    creation_time: a.push_time.toISOString(),
  };
}

/**
 * Harbor's Artifact. `pull_count` is Berth's addition (Harbor keeps pull counts per repository only). Parts that
 * were not asked for (`with_tag=false` ...) are left out; `scan_overview` appears only once a scanner provides one.
 */
export function presentArtifact(d: ArtifactDetails): Record<string, unknown> {
  const a = d.artifact;
  const facts = { manifestMediaType: a.media_type, configMediaType: a.config_media_type, artifactType: a.artifact_type, annotations: a.annotations };
  const links: Record<string, { href: string; absolute: boolean }> = {};
  if (d.kind === 'IMAGE' && manifestKindOf(a.media_type) === 'image') {
    links.build_history = { href: `${repositoryPath(a.repository_name)}/artifacts/${a.digest}/additions/build_history`, absolute: false };
  }
  return {
    id: a.id,
    type: d.kind,
    media_type: harborMediaType(facts),
    manifest_media_type: a.media_type,
    artifact_type: harborArtifactType(facts),
    project_id: a.project_id,
    repository_id: a.repository_id,
    repository_name: a.repository_name,
    digest: a.digest,
    size: d.size,
    icon: '',
    push_time: a.push_time.toISOString(),
    pull_time: iso(a.pull_time),
    pull_count: a.pull_count,
    extra_attrs: d.extraAttrs,
    annotations: a.annotations ?? {},
    ...(d.references
      ? {
          references: d.references.map((c) => ({
            parent_id: c.parent_id,
            child_id: c.child_id ?? 0,
            child_digest: c.child_digest,
            ...(c.platform ? { platform: c.platform } : {}),
          })),
        }
      : {}),
    ...(d.tags ? { tags: d.tags.map((t) => presentTag(t, d.immutableTags.has(t.name))) } : {}),
    ...(d.labels ? { labels: d.labels.map(presentLabel) } : {}),
    ...(d.accessories ? { accessories: d.accessories.map(presentAccessory) } : {}),
    addition_links: links,
    ...(d.scanOverview ? { scan_overview: d.scanOverview } : {}),
  };
}
