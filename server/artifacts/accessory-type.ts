/**
 * Accessories: signatures, SBOMs and other artifacts attached to a subject artifact of the same repository,
 * either through the OCI 1.1 `subject` field or through cosign's tag naming (`sha256-<hex>.sig`, `.att`,
 * `.sbom`). Pure: the classification and the cosign tag names, used by the queries and the presenters.
 */

/** Harbor's accessory type names (src/pkg/accessory/model), plus two for cosign's tag-named attachments. */
export const accessoryTypes = {
  cosignSignature: 'signature.cosign',
  notationSignature: 'signature.notation',
  harborSbom: 'sbom.harbor',
  subject: 'subject.accessory',
  // Harbor recognises only `.sig` tags; Berth also shows cosign's attestations and attached SBOMs.
  cosignAttestation: 'attestation.cosign',
  cosignSbom: 'sbom.cosign',
} as const;

export type AccessoryType = (typeof accessoryTypes)[keyof typeof accessoryTypes];

/** cosign's tag suffixes and what each one attaches. */
export const cosignSuffixes = { sig: accessoryTypes.cosignSignature, att: accessoryTypes.cosignAttestation, sbom: accessoryTypes.cosignSbom } as const;
export type CosignSuffix = keyof typeof cosignSuffixes;

/** A tag naming a cosign attachment of a sha256 digest, as a PostgreSQL regular expression. */
export const cosignTagPatternSql = '^sha256-[0-9a-f]{64}\\.(sig|att|sbom)$';
const cosignTagPattern = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;

/** The subject digest and suffix a cosign tag names, or undefined for any other tag. */
export function parseCosignTag(tag: string): { subjectDigest: string; suffix: CosignSuffix } | undefined {
  const m = cosignTagPattern.exec(tag);
  return m ? { subjectDigest: `sha256:${m[1]}`, suffix: m[2] as CosignSuffix } : undefined;
}

/** The cosign tags that would attach something to `digest` (none for digests other than sha256). */
export function cosignTagsFor(digest: string): string[] {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return [];
  return Object.keys(cosignSuffixes).map((suffix) => `sha256-${digest.slice(7)}.${suffix}`);
}

// The media types Harbor's subject middleware recognises (src/server/middleware/subject).
const byArtifactType: Record<string, AccessoryType> = {
  'application/vnd.cncf.notary.signature': accessoryTypes.notationSignature,
  'application/vnd.dev.cosign.artifact.sig.v1+json': accessoryTypes.cosignSignature,
  'application/vnd.dev.sigstore.bundle.v0.3+json': accessoryTypes.cosignSignature,
  'application/vnd.goharbor.harbor.sbom.v1': accessoryTypes.harborSbom,
};

/**
 * The type of an accessory. Attached by `subject`: from its artifact type (the manifest's `artifactType`, else its
 * config media type), `subject.accessory` when it is none of the known ones. Attached by a cosign tag: from the
 * tag's suffix.
 */
export function accessoryType(a: { artifactType?: string | null; cosignSuffix?: CosignSuffix | null }): AccessoryType {
  if (a.cosignSuffix) return cosignSuffixes[a.cosignSuffix];
  return (a.artifactType && byArtifactType[a.artifactType]) || accessoryTypes.subject;
}
