import type { ArtifactTypeFacts } from '../../server/artifacts/artifact-type.ts';

const oci = 'application/vnd.oci.image.manifest.v1+json';
const docker = 'application/vnd.docker.distribution.manifest.v2+json';

/** [name, facts, type, media_type, artifact_type] as Harbor would report them. */
export const typeCases: Array<[string, ArtifactTypeFacts, string, string, string]> = [
  ['an OCI image', { manifestMediaType: oci, configMediaType: 'application/vnd.oci.image.config.v1+json' }, 'IMAGE', 'application/vnd.oci.image.config.v1+json', 'application/vnd.oci.image.config.v1+json'],
  ['a Docker v2s2 image', { manifestMediaType: docker, configMediaType: 'application/vnd.docker.container.image.v1+json' }, 'IMAGE', 'application/vnd.docker.container.image.v1+json', 'application/vnd.docker.container.image.v1+json'],
  ['an OCI index', { manifestMediaType: 'application/vnd.oci.image.index.v1+json' }, 'IMAGE', 'application/vnd.oci.image.index.v1+json', ''],
  ['a Docker manifest list', { manifestMediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' }, 'IMAGE', 'application/vnd.docker.distribution.manifest.list.v2+json', ''],
  [
    'a Helm chart',
    { manifestMediaType: oci, configMediaType: 'application/vnd.cncf.helm.config.v1+json', artifactType: 'application/vnd.cncf.helm.config.v1+json' },
    'CHART',
    'application/vnd.cncf.helm.config.v1+json',
    'application/vnd.cncf.helm.config.v1+json',
  ],
  [
    'a CNAB bundle (an index with the artifactType annotation)',
    { manifestMediaType: 'application/vnd.oci.image.index.v1+json', annotations: { 'org.opencontainers.artifactType': 'application/vnd.cnab.manifest.v1' } },
    'CNAB',
    'application/vnd.cnab.manifest.v1',
    '',
  ],
  ['a WebAssembly module', { manifestMediaType: oci, configMediaType: 'application/vnd.wasm.config.v1+json', artifactType: 'application/vnd.wasm.config.v1+json' }, 'WASM', 'application/vnd.wasm.config.v1+json', 'application/vnd.wasm.config.v1+json'],
  [
    'a vendor artifact named by its config media type',
    { manifestMediaType: oci, configMediaType: 'application/vnd.acme.rocket.config.v1+json', artifactType: 'application/vnd.acme.rocket.config.v1+json' },
    'ROCKET',
    'application/vnd.acme.rocket.config.v1+json',
    'application/vnd.acme.rocket.config.v1+json',
  ],
  [
    'an OCI 1.1 artifact with artifactType and the empty config',
    { manifestMediaType: oci, configMediaType: 'application/vnd.oci.empty.v1+json', artifactType: 'application/vnd.example.sbom+json' },
    'UNKNOWN',
    'application/vnd.oci.empty.v1+json',
    'application/vnd.example.sbom+json',
  ],
  [
    'a cosign signature',
    { manifestMediaType: oci, configMediaType: 'application/vnd.oci.image.config.v1+json' },
    'IMAGE',
    'application/vnd.oci.image.config.v1+json',
    'application/vnd.oci.image.config.v1+json',
  ],
  [
    'an image manifest whose artifactType is an image config type',
    { manifestMediaType: oci, configMediaType: 'application/vnd.oci.empty.v1+json', artifactType: 'application/vnd.oci.image.config.v1+json' },
    'IMAGE',
    'application/vnd.oci.empty.v1+json',
    'application/vnd.oci.image.config.v1+json',
  ],
  ['an artifact with an unrecognised config', { manifestMediaType: oci, configMediaType: 'application/octet-stream', artifactType: 'application/octet-stream' }, 'UNKNOWN', 'application/octet-stream', 'application/octet-stream'],
  ['a vendor type with an empty kind', { manifestMediaType: oci, configMediaType: 'application/vnd.a..config.v1+json', artifactType: 'application/vnd.a..config.v1+json' }, 'UNKNOWN', 'application/vnd.a..config.v1+json', 'application/vnd.a..config.v1+json'],
];
