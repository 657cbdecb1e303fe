import { describe, expect, it } from 'vitest';
import { accessoryType, cosignTagsFor, parseCosignTag } from './accessory-type.ts';
import { typeCases } from '../../test/helpers/artifact-type-cases.ts';
import { artifactKind, harborArtifactType, harborMediaType } from './artifact-type.ts';

describe('artifact type detection', () => {
  it.each(typeCases)('reports %s as Harbor does', (_name, facts, type, mediaType, artifactType) => {
    expect(artifactKind(facts)).toBe(type);
    expect(harborMediaType(facts)).toBe(mediaType);
    expect(harborArtifactType(facts)).toBe(artifactType);
  });
});

describe('accessory types', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;

  it('names the cosign tags of a sha256 digest and reads them back', () => {
    const tags = cosignTagsFor(digest);
    expect(tags).toEqual([`sha256-${'ab'.repeat(32)}.sig`, `sha256-${'ab'.repeat(32)}.att`, `sha256-${'ab'.repeat(32)}.sbom`]);
    expect(tags.map((t) => parseCosignTag(t))).toEqual([
      { subjectDigest: digest, suffix: 'sig' },
      { subjectDigest: digest, suffix: 'att' },
      { subjectDigest: digest, suffix: 'sbom' },
    ]);
    expect(cosignTagsFor(`sha512:${'ab'.repeat(64)}`)).toEqual([]);
    for (const tag of ['latest', `sha256-${'ab'.repeat(31)}.sig`, `sha256-${'AB'.repeat(32)}.sig`, `sha256-${'ab'.repeat(32)}.sign`]) expect(parseCosignTag(tag)).toBeUndefined();
  });

  it.each([
    [{ cosignSuffix: 'sig' as const }, 'signature.cosign'],
    [{ cosignSuffix: 'att' as const }, 'attestation.cosign'],
    [{ cosignSuffix: 'sbom' as const }, 'sbom.cosign'],
    [{ artifactType: 'application/vnd.cncf.notary.signature' }, 'signature.notation'],
    [{ artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }, 'signature.cosign'],
    [{ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }, 'signature.cosign'],
    [{ artifactType: 'application/vnd.goharbor.harbor.sbom.v1' }, 'sbom.harbor'],
    [{ artifactType: 'application/spdx+json' }, 'subject.accessory'],
    [{}, 'subject.accessory'],
  ])('classifies %j as %s', (input, type) => {
    expect(accessoryType(input)).toBe(type);
  });
});
