/**
 * What kind of artifact a manifest is, as Harbor reports it in `Artifact.type`, `media_type` and `artifact_type`.
 * Pure: the same rules are used to present an artifact (TypeScript) and to filter lists by type in the database
 * (`typeSql`), both generated from the one table below so they cannot drift apart.
 *
 * Harbor resolves an artifact's kind from its "artifact type" when present, else its "media type" (Harbor's
 * `ResolveArtifactType`): for image manifests the media type is the config's media type and the artifact type is
 * the manifest's `artifactType`, else the config media type; for indexes the media type is the index's own (or the
 * CNAB `org.opencontainers.artifactType` annotation) and the artifact type the index's `artifactType`.
 */

export type ArtifactKind = 'IMAGE' | 'CHART' | 'CNAB' | 'WASM' | 'SBOM' | 'UNKNOWN' | (string & {});

/** The stored facts the kind is derived from (columns of `artifacts`). */
export interface ArtifactTypeFacts {
  /** The manifest's own media type (`artifacts.media_type`). */
  manifestMediaType: string;
  /** The config descriptor's media type; absent for indexes. */
  configMediaType?: string | null;
  /** The manifest's `artifactType`, or a non-image config media type (`artifacts.artifact_type`). */
  artifactType?: string | null;
  annotations?: Record<string, string> | null;
}

/** Media types Harbor has a processor for, and the kind each one stands for. */
const kinds: Record<string, ArtifactKind> = {
  'application/vnd.oci.image.config.v1+json': 'IMAGE',
  'application/vnd.docker.container.image.v1+json': 'IMAGE',
  'application/vnd.oci.image.index.v1+json': 'IMAGE',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'IMAGE',
  'application/vnd.cncf.helm.config.v1+json': 'CHART',
  'application/vnd.cnab.manifest.v1': 'CNAB',
  'application/vnd.wasm.config.v1+json': 'WASM',
  'application/vnd.goharbor.harbor.sbom.v1': 'SBOM',
};

/** Harbor's fallback for user-defined artifacts: `application/vnd.<vendor>.<kind>.config.<version>+json`. */
const vendorConfig = /^application\/vnd\.[^.]*\.(.*)\.config\.[^.]*\+json$/;
// The same pattern for PostgreSQL's regular expressions (`substring(x from pattern)` returns the group).
const vendorConfigSql = '^application/vnd\\.[^.]*\\.(.*)\\.config\\.[^.]*\\+json$';

const cnabAnnotation = 'org.opencontainers.artifactType';

/** Harbor's `media_type`: the config media type for manifests; for indexes their own (or the CNAB annotation). */
export function harborMediaType(f: ArtifactTypeFacts): string {
  return f.configMediaType || f.annotations?.[cnabAnnotation] || f.manifestMediaType;
}

/** Harbor's `artifact_type`: the manifest's `artifactType`, else the config media type; '' for a plain index. */
export function harborArtifactType(f: ArtifactTypeFacts): string {
  return f.artifactType || f.configMediaType || '';
}

/** Harbor's `type`: IMAGE, CHART, CNAB, WASM, SBOM, a vendor kind from the config media type, or UNKNOWN. */
export function artifactKind(f: ArtifactTypeFacts): ArtifactKind {
  const resolved = harborArtifactType(f) || harborMediaType(f);
  const known = kinds[resolved];
  if (known) return known;
  const vendor = vendorConfig.exec(resolved)?.[1];
  return vendor ? vendor.toUpperCase() : 'UNKNOWN';
}

/** Columns of `artifacts` the SQL expressions read, by alias. */
const sqlColumns = (alias: string) => ({
  media: `${alias}.media_type`,
  config: `${alias}.config_media_type`,
  artifactType: `${alias}.artifact_type`,
  cnab: `(${alias}.annotations ->> '${cnabAnnotation}')`,
});

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** SQL for Harbor's `media_type` of the artifact aliased `alias` (see harborMediaType). */
export function mediaTypeSql(alias: string): string {
  const c = sqlColumns(alias);
  return `coalesce(nullif(${c.config}, ''), nullif(${c.cnab}, ''), ${c.media})`;
}

/** SQL for Harbor's `artifact_type` (see harborArtifactType). */
export function artifactTypeSql(alias: string): string {
  const c = sqlColumns(alias);
  return `coalesce(nullif(${c.artifactType}, ''), nullif(${c.config}, ''), '')`;
}

/** SQL for Harbor's `type` (see artifactKind), so `q=type=CHART` filters in the database. */
export function typeSql(alias: string): string {
  const c = sqlColumns(alias);
  const resolved = `coalesce(nullif(${c.artifactType}, ''), nullif(${c.config}, ''), nullif(${c.cnab}, ''), ${c.media})`;
  const cases = Object.entries(kinds)
    .map(([mediaType, kind]) => `when ${quote(mediaType)} then ${quote(kind)}`)
    .join(' ');
  return `(case ${resolved} ${cases} else coalesce(nullif(upper(substring(${resolved} from ${quote(vendorConfigSql)})), ''), 'UNKNOWN') end)`;
}
