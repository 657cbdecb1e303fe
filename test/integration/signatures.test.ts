import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureService } from '../../server/signing/signature.service.ts';
import type { SignatureCheck } from '../../server/signing/signatures.ts';
import { BlobStore } from '../../server/storage/blob-store.ts';
import { apiClient } from '../helpers/api-client.ts';
import { codeSigningChain, fulcioCertificate, issueCertificate } from '../helpers/certificates.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, type PushedImage } from '../helpers/oci-client.ts';
import {
  cosignReferrerType,
  makeKeyPair,
  makeRekor,
  otherDigest,
  pushCosignReferrer,
  pushCosignSignature,
  pushNotationSignature,
  pushReferrerBlob,
  pushSigstoreBundle,
  trustPolicy,
} from '../helpers/signing.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

const release = makeKeyPair('ecdsa-p256');
const backup = makeKeyPair('ed25519');
const stranger = makeKeyPair('ecdsa-p256');
const acme = codeSigningChain({ name: 'Acme' });
const mallory = codeSigningChain({ name: 'Mallory' });
const fulcio = issueCertificate({ commonName: 'Test Fulcio', ca: true });
const rekor = makeRekor();
const identity = { subject: 'release@acme.example', issuer: 'https://accounts.acme.example' };
const trust = trustPolicy('prod', {
  keys: { release, backup },
  certificates: { 'acme-root': acme.root },
  sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys: [rekor.key.publicKeyPem], identities: [identity] },
});
const acmeChain = [acme.leaf, acme.intermediate, acme.root];

const brief = (checks: SignatureCheck[]) => checks.map((c) => ({ format: c.format, attachment: c.attachment, digest: c.signatureDigest, index: c.index, valid: c.valid, trustedBy: c.trustedBy, reason: c.reason }));

describe.each(databaseKinds)('signature discovery and verification on %s', (database) => {
  let server: TestServer;
  let oci: OciTestClient;
  const subjectOf = (image: PushedImage) => ({ digest: image.digest, size: image.manifest.length });
  const verify = (repo: string, digest: string) => server.services.signatures.verify(repo, digest, trust);

  beforeAll(async () => {
    server = await createTestServer({ database });
    oci = new OciTestClient(server.url, server.adminAuth);
    await server.services.projects.ensure('target', false, null);
  });
  afterAll(async () => server?.stop());

  it('finds nothing for an unsigned artifact or one that is not there', async () => {
    const image = await oci.pushImage('library/unsigned', 'v1');
    expect(await verify('library/unsigned', image.digest)).toEqual([]);
    expect(await verify('library/unsigned', otherDigest())).toEqual([]);
    expect(await verify('library/nowhere', image.digest)).toEqual([]);
  });

  it('reports each signature of a cosign .sig manifest: trusted keys verify, a stranger\'s key fails', async () => {
    const image = await oci.pushImage('library/tagged', 'v1');
    await pushCosignSignature(oci, 'library/tagged', image.digest, release);
    await pushCosignSignature(oci, 'library/tagged', image.digest, backup);
    const last = await pushCosignSignature(oci, 'library/tagged', image.digest, stranger);
    const checks = await verify('library/tagged', image.digest);
    expect(brief(checks)).toEqual([
      { format: 'cosign', attachment: 'tag', digest: last.digest, index: 0, valid: true, trustedBy: 'key:release', reason: 'verified with key "release" of trust policy "prod"' },
      { format: 'cosign', attachment: 'tag', digest: last.digest, index: 1, valid: true, trustedBy: 'key:backup', reason: 'verified with key "backup" of trust policy "prod"' },
      { format: 'cosign', attachment: 'tag', digest: last.digest, index: 2, valid: false, trustedBy: undefined, reason: expect.stringMatching(/^not signed by any key of trust policy "prod"/) },
    ]);
    expect(checks[1]!.details).toMatchObject({ keyType: 'ed25519', payloadDigest: image.digest, dockerReference: 'library/tagged' });
  });

  it('fails cosign signatures over another digest and with an altered payload, each with its reason', async () => {
    const image = await oci.pushImage('library/tampered', 'v1');
    const elsewhere = otherDigest();
    await pushCosignSignature(oci, 'library/tampered', image.digest, release, { payloadDigest: elsewhere });
    await pushCosignSignature(oci, 'library/tampered', image.digest, release, { alterPayload: true });
    const checks = await verify('library/tampered', image.digest);
    expect(checks.map((c) => c.reason)).toEqual([
      `signed by key:release, but the payload names ${elsewhere}, not ${image.digest}: a signature of another artifact`,
      expect.stringContaining('the signed content was altered after signing'),
    ]);
    expect(checks.every((c) => !c.valid)).toBe(true);
  });

  it('verifies cosign referrers, keyless cosign signatures with a Rekor bundle, Notation JWS and COSE, and Sigstore bundles on one subject', async () => {
    const image = await oci.pushImage('library/all', 'v1');
    const subject = subjectOf(image);
    const cert = fulcioCertificate(fulcio, identity);
    const pushed = {
      cosignTag: (await pushCosignSignature(oci, 'library/all', image.digest, undefined, { certificate: cert, rekor })).digest,
      cosignReferrer: await pushCosignReferrer(oci, 'library/all', subject, release),
      jws: await pushNotationSignature(oci, 'library/all', subject, { chain: acmeChain }),
      cose: await pushNotationSignature(oci, 'library/all', subject, { chain: acmeChain, envelope: 'cose' }),
      keyedBundle: await pushSigstoreBundle(oci, 'library/all', subject, { key: backup, hint: 'backup' }),
      certBundle: await pushSigstoreBundle(oci, 'library/all', subject, { certificate: cert, rekor, content: 'message-signature', manifest: image.manifest }),
    };
    const checks = await verify('library/all', image.digest);
    const byDigest = new Map(checks.map((c) => [c.signatureDigest, c]));
    expect(checks).toHaveLength(6);
    expect(byDigest.get(pushed.cosignTag)).toMatchObject({ format: 'cosign', attachment: 'tag', valid: true, trustedBy: 'identity:release@acme.example (https://accounts.acme.example)' });
    expect(byDigest.get(pushed.cosignReferrer)).toMatchObject({ format: 'cosign', attachment: 'referrer', valid: true, trustedBy: 'key:release' });
    expect(byDigest.get(pushed.jws)).toMatchObject({ format: 'notation', attachment: 'referrer', valid: true, trustedBy: 'certificate:acme-root', details: { envelope: 'jws' } });
    expect(byDigest.get(pushed.cose)).toMatchObject({ format: 'notation', valid: true, trustedBy: 'certificate:acme-root', details: { envelope: 'cose' } });
    expect(byDigest.get(pushed.keyedBundle)).toMatchObject({ format: 'sigstore-bundle', valid: true, trustedBy: 'key:backup' });
    expect(byDigest.get(pushed.certBundle)).toMatchObject({ format: 'sigstore-bundle', valid: true, trustedBy: 'identity:release@acme.example (https://accounts.acme.example)', details: { content: 'message-signature' } });
  });

  it('fails referrer signatures that are untrusted, over another digest, tampered or expired', async () => {
    const image = await oci.pushImage('library/bad-referrers', 'v1');
    const subject = subjectOf(image);
    const elsewhere = otherDigest();
    const expired = issueCertificate({ commonName: 'Expired Signer', issuer: acme.intermediate, extendedKeyUsage: 'codeSigning', notBefore: new Date(Date.now() - 48 * 3600_000), notAfter: new Date(Date.now() - 24 * 3600_000) });
    const reasons = new Map([
      [await pushNotationSignature(oci, 'library/bad-referrers', subject, { chain: [mallory.leaf, mallory.intermediate, mallory.root] }), 'certificate chain (root "CN=Mallory Root CA") does not lead to any certificate of trust policy "prod"'],
      [await pushNotationSignature(oci, 'library/bad-referrers', subject, { chain: acmeChain, targetDigest: elsewhere }), `signed by certificate:acme-root, but the payload names ${elsewhere}, not ${image.digest}: a signature of another artifact`],
      [await pushNotationSignature(oci, 'library/bad-referrers', subject, { chain: acmeChain, envelope: 'cose', alterPayload: true }), "the signature does not verify with its signing certificate's key: the envelope was altered after signing"],
      [await pushNotationSignature(oci, 'library/bad-referrers', subject, { chain: [expired, acme.intermediate, acme.root] }), expect.stringMatching(/^certificate "CN=Expired Signer" expired at .* \(the signing time is /)],
      [await pushCosignReferrer(oci, 'library/bad-referrers', subject, stranger), expect.stringMatching(/^not signed by any key of trust policy "prod"/)],
      [await pushSigstoreBundle(oci, 'library/bad-referrers', subject, { key: release, subjectDigest: elsewhere }), `signed by key:release, but the bundle signs ${elsewhere}, not ${image.digest}: a signature of another artifact`],
      [await pushSigstoreBundle(oci, 'library/bad-referrers', subject, { certificate: fulcioCertificate(fulcio, { ...identity, subject: 'intern@acme.example' }), rekor }), 'signed by intern@acme.example (issuer https://accounts.acme.example), an identity trust policy "prod" does not allow'],
    ]);
    const checks = await verify('library/bad-referrers', image.digest);
    expect(checks).toHaveLength(reasons.size);
    for (const c of checks) {
      expect(c.valid, c.reason).toBe(false);
      expect(c.reason).toEqual(reasons.get(c.signatureDigest));
    }
  });

  it('refuses huge, missing-layer and wrongly typed signature blobs without reading them', async () => {
    const image = await oci.pushImage('library/odd', 'v1');
    const subject = subjectOf(image);
    const huge = await pushReferrerBlob(oci, 'library/odd', subject, 'application/vnd.cncf.notary.signature', 'application/jose+json', randomBytes(300 * 1024));
    const wrongType = await pushReferrerBlob(oci, 'library/odd', subject, 'application/vnd.cncf.notary.signature', 'application/pkcs7-signature', Buffer.from('{}'));
    const garbage = await pushReferrerBlob(oci, 'library/odd', subject, 'application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle.v0.3+json', Buffer.from('{"mediaType":'));
    const notJson = await pushReferrerBlob(oci, 'library/odd', subject, cosignReferrerType, 'application/vnd.dev.cosign.simplesigning.v1+json', Buffer.from('\u0000\u0001 not json'));
    // An SBOM referrer is not a signature: not reported at all.
    await pushReferrerBlob(oci, 'library/odd', subject, 'application/spdx+json', 'application/spdx+json', Buffer.from('{}'));
    const reasons = new Map((await verify('library/odd', image.digest)).map((c) => [c.signatureDigest, c.reason]));
    expect(reasons.size).toBe(4);
    expect(reasons.get(huge)).toBe(`the signature blob is ${300 * 1024} bytes, over the limit of ${256 * 1024} bytes for signatures`);
    expect(reasons.get(wrongType)).toBe('the layer\'s media type is "application/pkcs7-signature", not application/jose+json or application/cose');
    expect(reasons.get(garbage)).toBe('the bundle is not a JSON object');
    expect(reasons.get(notJson)).toBe('the payload is not a simple-signing document (no "critical" object)');
  });

  it('reports a blob larger than the limit it was given, and verifies at the time it is given', async () => {
    const image = await oci.pushImage('library/limits', 'v1');
    await pushNotationSignature(oci, 'library/limits', subjectOf(image), { chain: acmeChain });
    const small = new SignatureService(server.services.db.knex, new BlobStore(server.services.storage), undefined, { maxBlobBytes: 100 });
    expect((await small.verify('library/limits', image.digest, trust))[0]!.reason).toMatch(/^the signature blob is \d+ bytes, over the limit of 100 bytes for signatures$/);
    const later = new SignatureService(server.services.db.knex, new BlobStore(server.services.storage), undefined, { clock: () => new Date(Date.parse(acme.leaf.cert.validTo) + 86_400_000) });
    expect((await later.verify('library/limits', image.digest, trust))[0]!.reason).toMatch(/expired at .* \(the verification time is /);
  });

  it('still verifies signatures copied along with their artifact by the server-side copy', async () => {
    const image = await oci.pushImage('library/copied', 'v1');
    const subject = subjectOf(image);
    await pushCosignSignature(oci, 'library/copied', image.digest, release);
    await pushNotationSignature(oci, 'library/copied', subject, { chain: acmeChain });
    await pushSigstoreBundle(oci, 'library/copied', subject, { key: release });
    const res = await apiClient(server)('POST', `/projects/target/repositories/app/artifacts?from=library/copied@${image.digest}`);
    expect(res.status, await res.clone().text()).toBe(201);
    // Referrers are reported in the order the repository received them; the copy may record them in another.
    const byDigest = (a: { digest: string }, b: { digest: string }) => a.digest.localeCompare(b.digest);
    const source = brief(await verify('library/copied', image.digest)).sort(byDigest);
    const copied = brief(await verify('target/app', image.digest)).sort(byDigest);
    expect(source.map((c) => c.valid)).toEqual([true, true, true]);
    expect(copied).toEqual(source);
    // The copy is the same bytes: the .sig manifest and the referrers keep their digests.
    expect(new Set(copied.map((c) => c.digest)).size).toBe(3);
  });
});
