import { describe, expect, it } from 'vitest';
import { fulcioCertificate, issueCertificate } from '../../test/helpers/certificates.ts';
import { cosignSign, makeKeyPair, makeRekor, otherDigest, rekorEntry, simpleSigningPayload, trustPolicy, type TestKeyPair } from '../../test/helpers/signing.ts';
import { sha256 } from '../../test/helpers/oci-client.ts';
import { verifyCosignLayer } from './cosign.ts';
import type { Context } from './signers.ts';

const subject = otherDigest();
const sigKey = 'dev.cosignproject.cosign/signature';
const ctxFor = (trust: ReturnType<typeof trustPolicy>, now = new Date()): Context => ({ trust, policyName: trust.name, now });

function signed(key: { privateKey: TestKeyPair['privateKey'] }, opts: { digest?: string; hash?: string; pss?: boolean } = {}) {
  const payload = simpleSigningPayload('library/app', opts.digest ?? subject);
  return { payload, annotations: { [sigKey]: cosignSign(key, payload, opts).toString('base64') } as Record<string, string> };
}

describe('cosign key-based signatures', () => {
  const cases: Array<{ type: Parameters<typeof makeKeyPair>[0]; hash?: string; pss?: boolean; algorithm: string }> = [
    { type: 'ecdsa-p256', algorithm: 'ecdsa-sha256' },
    { type: 'ecdsa-p384', algorithm: 'ecdsa-sha256' },
    { type: 'ecdsa-p384', hash: 'sha384', algorithm: 'ecdsa-sha384' },
    { type: 'ecdsa-p521', hash: 'sha512', algorithm: 'ecdsa-sha512' },
    { type: 'rsa-2048', algorithm: 'rsa-pkcs1v15-sha256' },
    { type: 'rsa-3072', pss: true, algorithm: 'rsa-pss-sha256' },
    { type: 'ed25519', algorithm: 'ed25519' },
  ];
  for (const c of cases) {
    it(`verifies a ${c.type} signature (${c.algorithm}) and names the trusted key`, () => {
      const key = makeKeyPair(c.type);
      const other = makeKeyPair('ecdsa-p256');
      const { payload, annotations } = signed(key, c);
      const verdict = verifyCosignLayer(payload, annotations, subject, ctxFor(trustPolicy('prod', { keys: { unrelated: other, release: key } })));
      expect(verdict).toMatchObject({ valid: true, trustedBy: 'key:release', reason: 'verified with key "release" of trust policy "prod"' });
      expect(verdict.details).toMatchObject({ key: 'release', algorithm: c.algorithm, payloadDigest: subject });
    });
  }

  it('fails a signature over another digest, naming both digests and the key that signed it', () => {
    const key = makeKeyPair();
    const elsewhere = otherDigest();
    const { payload, annotations } = signed(key, { digest: elsewhere });
    const verdict = verifyCosignLayer(payload, annotations, subject, ctxFor(trustPolicy('prod', { keys: { release: key } })));
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toBe(`signed by key:release, but the payload names ${elsewhere}, not ${subject}: a signature of another artifact`);
  });

  it('fails a signature by a key the trust policy does not hold', () => {
    const { payload, annotations } = signed(makeKeyPair());
    const verdict = verifyCosignLayer(payload, annotations, subject, ctxFor(trustPolicy('prod', { keys: { release: makeKeyPair(), backup: makeKeyPair('ed25519') } })));
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toMatch(/^not signed by any key of trust policy "prod" \(2 key\(s\) tried\)/);
  });

  it('fails a payload altered after signing', () => {
    const key = makeKeyPair();
    const { payload, annotations } = signed(key);
    const altered = Buffer.from(payload.toString().replace('"optional":null', '"optional":{"x":1}'));
    expect(altered.equals(payload)).toBe(false);
    const verdict = verifyCosignLayer(altered, annotations, subject, ctxFor(trustPolicy('prod', { keys: { release: key } })));
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toContain('the signed content was altered after signing');
  });

  it('turns malformed input into failed checks with the reason', () => {
    const key = makeKeyPair();
    const ctx = ctxFor(trustPolicy('prod', { keys: { release: key } }));
    const good = signed(key);
    expect(verifyCosignLayer(Buffer.from('{not json'), good.annotations, subject, ctx).reason).toContain('not a simple-signing document');
    expect(verifyCosignLayer(Buffer.from('{"critical":{"image":{}}}'), good.annotations, subject, ctx).reason).toContain('names no critical.image.docker-manifest-digest');
    const wrongType = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': subject }, type: 'atomic container signature' } }));
    expect(verifyCosignLayer(wrongType, good.annotations, subject, ctx).reason).toBe('the payload\'s critical.type is "atomic container signature", not "cosign container image signature"');
    expect(verifyCosignLayer(good.payload, { [sigKey]: '!!not base64!!' }, subject, ctx).reason).toContain('missing or not base64');
    expect(verifyCosignLayer(good.payload, {}, subject, ctx).reason).toContain('missing or not base64');
    expect(verifyCosignLayer(good.payload, { [sigKey]: Buffer.from('short').toString('base64') }, subject, ctx).valid).toBe(false);
    expect(verifyCosignLayer(good.payload, { ...good.annotations, 'dev.sigstore.cosign/bundle': '{"Payload":1}' }, subject, ctx).reason).toContain('not a Rekor bundle');
    expect(verifyCosignLayer(good.payload, good.annotations, subject, ctxFor(trustPolicy('empty', {}))).reason).toBe('trust policy "empty" has no usable public keys to verify a key-based signature with');
    const broken = { name: 'broken', keys: [{ name: 'bad', publicKey: 'not a pem' }] };
    expect(verifyCosignLayer(good.payload, good.annotations, subject, ctxFor(broken)).details).toMatchObject({ unusableKeys: [expect.stringContaining('bad:')] });
  });

  it('checks a Rekor bundle annotation on a key-based signature when the policy has Rekor keys', () => {
    const key = makeKeyPair();
    const rekor = makeRekor();
    const { payload, annotations } = signed(key);
    const e = rekorEntry(rekor, { signature: Buffer.from(annotations[sigKey]!, 'base64'), signerPem: key.publicKeyPem, dataSha256: sha256(payload).slice(7) });
    const bundle = (t: number) => JSON.stringify({ SignedEntryTimestamp: e.signedEntryTimestamp.toString('base64'), Payload: { body: e.body.toString('base64'), integratedTime: t, logIndex: e.logIndex, logID: e.logId } });
    const trust = trustPolicy('prod', { keys: { release: key }, sigstore: { rekorKeys: [rekor.key.publicKeyPem] } });
    const ok = verifyCosignLayer(payload, { ...annotations, 'dev.sigstore.cosign/bundle': bundle(e.integratedTime) }, subject, ctxFor(trust));
    expect(ok.valid).toBe(true);
    expect(ok.details?.transparencyLog).toMatchObject({ logId: rekor.logId });
    const tampered = verifyCosignLayer(payload, { ...annotations, 'dev.sigstore.cosign/bundle': bundle(e.integratedTime + 1) }, subject, ctxFor(trust));
    expect(tampered).toMatchObject({ valid: false, reason: 'the signed entry timestamp does not verify with the Rekor key of the trust policy (the entry was altered)' });
  });
});

describe('cosign certificate (keyless) signatures', () => {
  const fulcio = issueCertificate({ commonName: 'Test Fulcio', ca: true });
  const identity = { subject: 'dev@example.com', issuer: 'https://accounts.example.com' };

  function keyless(cert = fulcioCertificate(fulcio, identity), rekor = makeRekor(), integratedTime?: number) {
    const payload = simpleSigningPayload('library/app', subject);
    const signature = cosignSign(cert, payload);
    const e = rekorEntry(rekor, { signature, signerPem: cert.pem, dataSha256: sha256(payload).slice(7), integratedTime });
    const annotations = {
      [sigKey]: signature.toString('base64'),
      'dev.sigstore.cosign/certificate': cert.pem,
      'dev.sigstore.cosign/bundle': JSON.stringify({ SignedEntryTimestamp: e.signedEntryTimestamp.toString('base64'), Payload: { body: e.body.toString('base64'), integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logId } }),
    };
    return { payload, annotations, rekor, cert };
  }

  it('verifies a certificate chaining to the Fulcio certificates, with an allowed identity and a Rekor timestamp', () => {
    const s = keyless();
    const trust = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys: [s.rekor.key.publicKeyPem], identities: [identity] } });
    const verdict = verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(trust));
    expect(verdict).toMatchObject({ valid: true, trustedBy: 'identity:dev@example.com (https://accounts.example.com)' });
    expect(verdict.details).toMatchObject({ issuer: identity.issuer, subjectAlternativeNames: [identity.subject] });
  });

  it('still verifies after the short-lived certificate expired, at the Rekor integration time', () => {
    const s = keyless();
    const trust = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys: [s.rekor.key.publicKeyPem] } });
    expect(verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(trust, new Date(Date.now() + 3600_000))).valid).toBe(true);
    // Without Rekor keys nothing vouches for the signing time: the certificate must be valid now, and is not.
    const noRekor = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem] } });
    const verdict = verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(noRekor, new Date(Date.now() + 3600_000)));
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toMatch(/^certificate "CN=sigstore" expired at .* \(the verification time is /);
    expect(verdict.details?.transparencyLog).toBe('not checked: the trust policy has no Rekor keys');
  });

  it('fails a certificate that was expired when the entry was logged', () => {
    const s = keyless(undefined, undefined, Math.floor(Date.now() / 1000) + 3600);
    const trust = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys: [s.rekor.key.publicKeyPem] } });
    expect(verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(trust)).reason).toMatch(/expired at .* \(the transparency-log integration time is /);
  });

  it('fails an identity the policy does not allow, another CA, and a missing log entry', () => {
    const s = keyless();
    const rekorKeys = [s.rekor.key.publicKeyPem];
    const wrongIdentity = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys, identities: [{ ...identity, subject: 'ops@example.com' }] } });
    expect(verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(wrongIdentity)).reason).toBe('signed by dev@example.com (issuer https://accounts.example.com), an identity trust policy "prod" does not allow');
    const otherCa = issueCertificate({ commonName: 'Other Fulcio', ca: true });
    expect(verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(trustPolicy('prod', { sigstore: { fulcioCertificates: [otherCa.pem], rekorKeys } }))).reason).toBe('signing certificate "CN=sigstore" does not chain to any Fulcio certificate of the trust policy');
    const { 'dev.sigstore.cosign/bundle': _bundle, ...withoutBundle } = s.annotations;
    expect(verifyCosignLayer(s.payload, withoutBundle, subject, ctxFor(trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys } }))).reason).toContain('needs a transparency-log entry; this one has none');
    expect(verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(trustPolicy('prod', { keys: { k: makeKeyPair() } }))).reason).toBe('trust policy "prod" has no Fulcio certificates: a certificate-based signature cannot be trusted');
  });

  it('fails a certificate signature whose payload was altered, saying so', () => {
    const s = keyless();
    const altered = Buffer.from(s.payload.toString().replace('"optional":null', '"optional":{}'));
    const trust = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys: [s.rekor.key.publicKeyPem] } });
    expect(verifyCosignLayer(altered, s.annotations, subject, ctxFor(trust)).reason).toBe('the signature does not verify with the key of its own signing certificate: the signed content was altered after signing');
  });

  it('refuses a leaf certificate without the code-signing usage', () => {
    const cert = issueCertificate({ commonName: 'sigstore', issuer: fulcio, subjectAltName: 'email:dev@example.com', extendedKeyUsage: 'serverAuth' });
    const s = keyless(cert);
    const trust = trustPolicy('prod', { sigstore: { fulcioCertificates: [fulcio.pem], rekorKeys: [s.rekor.key.publicKeyPem] } });
    expect(verifyCosignLayer(s.payload, s.annotations, subject, ctxFor(trust)).reason).toBe('signing certificate "CN=sigstore" does not allow code signing (extended key usage)');
  });
});
