import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fulcioCertificate, issueCertificate } from '../../test/helpers/certificates.ts';
import { sha256 } from '../../test/helpers/oci-client.ts';
import { makeKeyPair, makeRekor, otherDigest, sigstoreBundle, trustPolicy, type BundleOptions } from '../../test/helpers/signing.ts';
import type { Context } from './signers.ts';
import { verifySigstoreBundle } from './sigstore-bundle.ts';

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [], nonce: randomBytes(8).toString('hex') }));
const subject = { digest: sha256(manifest), size: manifest.length };
const key = makeKeyPair('ecdsa-p256');
const ctxFor = (trust: ReturnType<typeof trustPolicy>, now = new Date()): Context => ({ trust, policyName: trust.name, now });
const keyed = ctxFor(trustPolicy('prod', { keys: { other: makeKeyPair('ed25519'), release: key } }));
const check = (opts: BundleOptions, ctx = keyed) => verifySigstoreBundle(sigstoreBundle(subject, { manifest, ...opts }), { digest: subject.digest, manifest }, ctx);

describe('keyed Sigstore bundles', () => {
  it('verifies a DSSE in-toto statement naming the artifact, and a message signature over its manifest', () => {
    const dsse = check({ key, content: 'dsse' });
    expect(dsse).toMatchObject({ valid: true, trustedBy: 'key:release', details: { content: 'dsse-envelope', predicateType: 'https://sigstore.dev/cosign/sign/v1', verificationMaterial: 'key' } });
    expect(check({ key, content: 'message-signature' })).toMatchObject({ valid: true, trustedBy: 'key:release', details: { content: 'message-signature' } });
    for (const type of ['rsa-2048', 'ed25519', 'ecdsa-p384'] as const) {
      const k = makeKeyPair(type);
      expect(check({ key: k }, ctxFor(trustPolicy('prod', { keys: { k } }))).valid).toBe(true);
    }
  });

  it('reads the bundle versions before v0.3', () => {
    for (const v of ['0.1', '0.2', '0.3']) expect(check({ key, mediaType: `application/vnd.dev.sigstore.bundle+json;version=${v}` }).valid).toBe(true);
    expect(check({ key, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=9' }).reason).toContain('not a Sigstore bundle version Berth reads');
  });

  it('fails a statement or message digest for another artifact', () => {
    const elsewhere = otherDigest();
    expect(check({ key, subjectDigest: elsewhere }).reason).toBe(`signed by key:release, but the bundle signs ${elsewhere}, not ${subject.digest}: a signature of another artifact`);
    const moved = check({ key, content: 'message-signature', manifest: Buffer.from('another manifest'), subjectDigest: elsewhere });
    expect(moved.valid).toBe(false);
    expect(moved.reason).toContain(`the bundle signs ${elsewhere}, not ${subject.digest}`);
  });

  it('fails an untrusted key, and an altered payload under a hinted key', () => {
    expect(check({ key: makeKeyPair() }).reason).toMatch(/^not signed by any key of trust policy "prod" \(2 key\(s\) tried\)/);
    expect(check({ key, hint: 'release', alterPayload: true }).reason).toBe('the signature does not verify with key "release" of trust policy "prod" that it names: the signed content was altered after signing');
    expect(check({ key, content: 'message-signature', alterPayload: true }).valid).toBe(false);
  });

  it('turns malformed bundles into failed checks', () => {
    const run = (bytes: Buffer | string) => verifySigstoreBundle(Buffer.from(bytes), { digest: subject.digest, manifest }, keyed);
    expect(run('[1]').reason).toBe('the bundle is not a JSON object');
    const good = JSON.parse(sigstoreBundle(subject, { key }).toString()) as Record<string, any>;
    expect(run(JSON.stringify({ ...good, verificationMaterial: {} })).reason).toContain('has no verification material');
    expect(run(JSON.stringify({ ...good, dsseEnvelope: undefined })).reason).toBe('the bundle has neither a messageSignature nor a dsseEnvelope');
    expect(run(JSON.stringify({ ...good, dsseEnvelope: { ...good.dsseEnvelope, signatures: [good.dsseEnvelope.signatures[0], good.dsseEnvelope.signatures[0]] } })).reason).toBe('a DSSE envelope in a bundle must carry exactly one signature');
    expect(run(JSON.stringify({ ...good, dsseEnvelope: { ...good.dsseEnvelope, payloadType: 'text/plain' } })).reason).toContain('not application/vnd.in-toto+json');
    expect(run(JSON.stringify({ ...good, dsseEnvelope: { ...good.dsseEnvelope, payload: '%%%' } })).reason).toContain('no base64 payload');
    expect(run(JSON.stringify({ ...good, verificationMaterial: { ...good.verificationMaterial, tlogEntries: [{ logIndex: 'x' }] } })).reason).toBe('verificationMaterial.tlogEntries[0] is malformed');
    expect(run(JSON.stringify({ ...good, verificationMaterial: { certificate: { rawBytes: 'AAAA' } } })).reason).toMatch(/^signing certificate: not an X.509 certificate/);
  });
});

describe('certificate Sigstore bundles', () => {
  const fulcio = issueCertificate({ commonName: 'Test Fulcio Root', ca: true, keyType: 'ecdsa-p384' });
  const intermediate = issueCertificate({ commonName: 'Test Fulcio Intermediate', ca: true, issuer: fulcio });
  const identity = { subject: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' };
  const rekor = makeRekor();
  const sigstore = { fulcioCertificates: [fulcio.pem, intermediate.pem], rekorKeys: [rekor.key.publicKeyPem], identities: [identity] };
  const trusted = ctxFor(trustPolicy('prod', { sigstore }));

  it('verifies a certificate from the Fulcio chain with an allowed identity and a Rekor entry', () => {
    const cert = fulcioCertificate(intermediate, identity);
    for (const content of ['dsse', 'message-signature'] as const) {
      const verdict = check({ certificate: cert, rekor, content }, trusted);
      expect(verdict).toMatchObject({ valid: true, trustedBy: `identity:${identity.subject} (${identity.issuer})`, details: { verificationMaterial: 'certificate', transparencyLog: { logId: rekor.logId } } });
    }
    // The intermediate may come with the bundle (v0.1/v0.2's x509CertificateChain) instead of the trust policy.
    const rootOnly = ctxFor(trustPolicy('prod', { sigstore: { ...sigstore, fulcioCertificates: [fulcio.pem] } }));
    expect(check({ certificate: cert, chain: [intermediate], rekor }, rootOnly).valid).toBe(true);
    expect(check({ certificate: cert, rekor }, rootOnly).valid).toBe(false);
  });

  it('fails an identity the policy does not allow and a certificate from another CA', () => {
    const cert = fulcioCertificate(intermediate, { subject: 'mallory@example.com', issuer: 'https://accounts.example.com' });
    expect(check({ certificate: cert, rekor }, trusted).reason).toBe('signed by mallory@example.com (issuer https://accounts.example.com), an identity trust policy "prod" does not allow');
    const rogue = issueCertificate({ commonName: 'Rogue CA', ca: true });
    expect(check({ certificate: fulcioCertificate(rogue, identity), rekor }, trusted).reason).toBe('signing certificate "CN=sigstore" does not chain to any Fulcio certificate of the trust policy');
  });

  it('fails a log entry from an unknown log, a tampered entry, and a bundle without one', () => {
    const cert = fulcioCertificate(intermediate, identity);
    expect(check({ certificate: cert, rekor: makeRekor() }, trusted).reason).toMatch(/^the transparency-log entry is from log [0-9a-f]{16}\.\.\., whose key is not among the trust policy's Rekor keys$/);
    const bundle = JSON.parse(sigstoreBundle(subject, { certificate: cert, rekor }).toString()) as Record<string, any>;
    bundle.verificationMaterial.tlogEntries[0].integratedTime = String(Number(bundle.verificationMaterial.tlogEntries[0].integratedTime) - 60);
    expect(verifySigstoreBundle(Buffer.from(JSON.stringify(bundle)), { digest: subject.digest, manifest }, trusted).reason).toBe('the signed entry timestamp does not verify with the Rekor key of the trust policy (the entry was altered)');
    expect(check({ certificate: cert }, trusted).reason).toBe('trust policy "prod" has Rekor keys, so a certificate-based signature needs a transparency-log entry; this one has none');
  });

  it('fails a certificate expired at the integration time, and one expired now when nothing vouches for the time', () => {
    const cert = fulcioCertificate(intermediate, identity);
    expect(check({ certificate: cert, rekor, integratedTime: Math.floor(Date.now() / 1000) + 3600 }, trusted).reason).toMatch(/^certificate "CN=sigstore" expired at .* \(the transparency-log integration time is /);
    const later = new Date(Date.now() + 3600_000);
    expect(check({ certificate: cert, rekor }, ctxFor(trustPolicy('prod', { sigstore }), later)).valid).toBe(true);
    const noLogs = ctxFor(trustPolicy('prod', { sigstore: { ...sigstore, rekorKeys: [] } }), later);
    const verdict = check({ certificate: cert, rekor }, noLogs);
    expect(verdict.reason).toMatch(/^certificate "CN=sigstore" expired at .* \(the verification time is /);
    expect(verdict.details).toMatchObject({ transparencyLog: 'not checked: the trust policy has no Rekor keys' });
  });

  it('fails content altered after signing, even with a valid log entry for the original', () => {
    const cert = fulcioCertificate(intermediate, identity);
    expect(check({ certificate: cert, rekor, alterPayload: true }, trusted).reason).toBe('the signature does not verify with the key of its own signing certificate: the signed content was altered after signing');
  });
});
