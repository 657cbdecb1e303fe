import { randomBytes, randomUUID } from 'node:crypto';
import { ociIndexType, ociManifestType, sha256 } from '../../helpers/oci-client.ts';
import {
  ANY,
  MiB,
  configType,
  descriptor,
  f,
  imageManifest,
  layerType,
  manifestOfSize,
  missingManifest,
  putManifest,
  repo,
  type Row,
} from './table.ts';

/**
 * Rows about manifest PUTs: too big, not JSON, wrong schema, bad descriptors, unknown blobs, digest mismatch.
 */

export const manifestRows: Row[] = [
  // --- manifests -----------------------------------------------------------------------------------------------
  {
    name: 'manifest larger than 4 MiB with a declared Content-Length',
    request: () => {
      missingManifest('too-big');
      return putManifest('too-big', manifestOfSize(4 * MiB + 1));
    },
    status: 413,
    code: ANY,
  },
  {
    name: 'manifest larger than 4 MiB sent in chunked encoding (no declared length)',
    request: () => {
      missingManifest('too-big-chunked');
      return { ...putManifest('too-big-chunked', manifestOfSize(4 * MiB + 1)), chunked: true };
    },
    status: 413,
    code: ANY,
  },
  {
    name: 'manifest that is not JSON',
    request: () => {
      missingManifest('not-json');
      return putManifest('not-json', '{"schemaVersion": 2, "config": ');
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest with an empty body',
    request: () => putManifest('empty', ''),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest that is a JSON array',
    request: () => putManifest('array', '[]'),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'Docker schema 1 manifest',
    request: () => {
      missingManifest('schema1');
      return putManifest(
        'schema1',
        { schemaVersion: 1, name: repo, tag: 'schema1', architecture: 'amd64', fsLayers: [{ blobSum: f.layerDigest }], history: [{ v1Compatibility: '{}' }] },
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      );
    },
    status: [400, 415],
    code: 'UNSUPPORTED',
  },
  {
    name: 'schemaVersion 1 body sent as an OCI manifest',
    request: () => putManifest('schema1-oci', imageManifest({ schemaVersion: 1 })),
    status: [400, 415],
    code: 'UNSUPPORTED',
  },
  {
    name: 'manifest with schemaVersion 3',
    request: () => putManifest('schema3', imageManifest({ schemaVersion: 3 })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose mediaType differs from the Content-Type',
    request: () => {
      missingManifest('mismatch');
      return putManifest('mismatch', imageManifest(), ociIndexType);
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'image manifest without a config',
    request: () => {
      missingManifest('no-config');
      return putManifest('no-config', imageManifest({ config: undefined }));
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose config digest is malformed',
    request: () => putManifest('bad-config-digest', imageManifest({ config: { mediaType: configType, digest: 'sha256:1234', size: f.config.length } })),
    status: 400,
    code: ['MANIFEST_INVALID', 'DIGEST_INVALID'],
  },
  {
    name: 'manifest whose layer size is negative',
    request: () => putManifest('negative-size', imageManifest({ layers: [{ ...descriptor(layerType, f.layer), size: -1 }] })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose layer size is a string',
    request: () => putManifest('string-size', imageManifest({ layers: [{ ...descriptor(layerType, f.layer), size: '1024' }] })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose layers are not an array',
    request: () => putManifest('layers-object', imageManifest({ layers: descriptor(layerType, f.layer) })),
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'manifest whose layer size disagrees with the stored blob',
    request: () => {
      missingManifest('wrong-size');
      return putManifest('wrong-size', imageManifest({ layers: [{ ...descriptor(layerType, f.layer), size: f.layer.length - 1 }] }));
    },
    status: 400,
    code: ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN'],
  },
  {
    name: 'manifest naming a layer unknown to the registry',
    request: () => {
      missingManifest('unknown-layer');
      return putManifest('unknown-layer', imageManifest({ layers: [descriptor(layerType, randomBytes(64))] }));
    },
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'manifest naming a config unknown to the registry',
    request: () => putManifest('unknown-config', imageManifest({ config: descriptor(configType, randomBytes(64)) })),
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'manifest naming a layer that only another repository holds',
    request: () => {
      missingManifest('foreign-layer');
      return putManifest('foreign-layer', imageManifest({ layers: [descriptor(layerType, f.foreignBlob)] }));
    },
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'index naming a manifest unknown to the repository',
    request: () => {
      missingManifest('unknown-child');
      const child = Buffer.from(JSON.stringify(imageManifest({ annotations: { never: 'pushed' } })));
      return putManifest(
        'unknown-child',
        { schemaVersion: 2, mediaType: ociIndexType, manifests: [{ ...descriptor(ociManifestType, child), platform: { architecture: 'amd64', os: 'linux' } }] },
        ociIndexType,
      );
    },
    status: 400,
    code: 'MANIFEST_BLOB_UNKNOWN',
  },
  {
    name: 'manifest of an unknown media type',
    request: () => {
      missingManifest('unknown-type');
      return putManifest('unknown-type', imageManifest({ mediaType: 'application/vnd.example.thing.v1+json' }), 'application/vnd.example.thing.v1+json');
    },
    status: 400,
    code: 'MANIFEST_INVALID',
  },
  {
    name: 'PUT by digest whose body hashes to a different digest',
    request: () => {
      const body = Buffer.from(JSON.stringify(imageManifest({ annotations: { variant: randomUUID() } })));
      const claimed = sha256(Buffer.from(JSON.stringify(imageManifest({ annotations: { variant: 'other' } }))));
      missingManifest(claimed, sha256(body));
      return putManifest(claimed, body);
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'PUT by an md5 digest reference',
    request: () => putManifest(`md5:${'0'.repeat(32)}`, imageManifest()),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    // Control row: the spec requires accepting a subject that does not exist (yet).
    name: 'manifest whose subject is unknown is accepted (spec: MUST)',
    request: () => putManifest('with-unknown-subject', imageManifest({ subject: descriptor(ociManifestType, randomBytes(32)) })),
    status: 201,
    code: null,
  },
  {
    // Control row: the spec's registries SHOULD accept manifests of at least 4 MiB.
    name: 'manifest of exactly 4 MiB is accepted',
    request: () => putManifest('four-mib', manifestOfSize(4 * MiB)),
    status: 201,
    code: null,
  },
];
