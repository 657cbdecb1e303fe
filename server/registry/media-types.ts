/** Manifest media types Berth stores and serves. */
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

export type ManifestKind = 'image' | 'index';

const manifestKinds: Record<string, ManifestKind> = {
  [mediaTypes.ociManifest]: 'image',
  [mediaTypes.dockerManifest]: 'image',
  [mediaTypes.ociIndex]: 'index',
  [mediaTypes.dockerManifestList]: 'index',
};

export const manifestKindOf = (mediaType: string): ManifestKind | undefined => manifestKinds[mediaType];

export const isSchema1 = (mediaType: string): boolean =>
  mediaType === mediaTypes.dockerSchema1 || mediaType === mediaTypes.dockerSchema1Signed || mediaType === 'application/json';

/** Layers whose bytes live elsewhere (Windows base layers, non-distributable OCI layers) need not be pushed. */
export const isForeignLayer = (mediaType: string): boolean =>
  mediaType === 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' || mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.');
