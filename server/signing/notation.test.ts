import { describe, expect, it } from 'vitest';
import { codeSigningChain, issueCertificate } from '../../test/helpers/certificates.ts';
import { notationEnvelope, otherDigest, trustPolicy, type NotationOptions } from '../../test/helpers/signing.ts';
import { verifyNotation } from './notation.ts';
import type { Context } from './signers.ts';

const subject = { digest: otherDigest(), size: 1234, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
const chain = codeSigningChain({ name: 'Acme' });
const trust = trustPolicy('prod', { certificates: { 'acme-root': chain.root } });
const ctx: Context = { trust, policyName: 'prod', now: new Date() };
const jose = 'application/jose+json';
const cose = 'application/cose';

const envelope = (opts: Partial<NotationOptions> = {}) => notationEnvelope(subject, { chain: [chain.leaf, chain.intermediate, chain.root], ...opts });
const check = (bytes: Buffer, mediaType = jose, c = ctx) => verifyNotation(bytes, mediaType, subject, c);

describe.each([
  ['JWS', 'jws', jose],
  ['COSE', 'cose', cose],
] as const)('Notation %s signatures', (_name, format, mediaType) => {
  it('verifies a chain to a trusted root and names the certificate', () => {
    const verdict = check(envelope({ envelope: format }), mediaType);
    expect(verdict).toMatchObject({ valid: true, trustedBy: 'certificate:acme-root', reason: 'verified: the certificate chain of "CN=Acme Signer" leads to certificate "acme-root" of trust policy "prod"' });
    expect(verdict.details).toMatchObject({ envelope: format, algorithm: 'ES256', signingScheme: 'notary.x509', payloadDigest: subject.digest, signingAgent: 'berth-test/1.0' });
  });

  it('verifies when the chain stops below the root and the root is trusted', () => {
    expect(check(envelope({ envelope: format, chain: [chain.leaf, chain.intermediate] }), mediaType).valid).toBe(true);
  });

  it('fails a signature over another digest', () => {
    const elsewhere = otherDigest();
    expect(check(envelope({ envelope: format, targetDigest: elsewhere }), mediaType).reason).toBe(`signed by certificate:acme-root, but the payload names ${elsewhere}, not ${subject.digest}: a signature of another artifact`);
    expect(check(envelope({ envelope: format, targetSize: 99 }), mediaType).reason).toContain("the payload describes 99 bytes, the artifact's manifest has 1234");
  });

  it('fails a chain to a root the policy does not trust', () => {
    const other = codeSigningChain({ name: 'Mallory' });
    const verdict = check(envelope({ envelope: format, chain: [other.leaf, other.intermediate, other.root] }), mediaType);
    expect(verdict).toMatchObject({ valid: false, reason: 'certificate chain (root "CN=Mallory Root CA") does not lead to any certificate of trust policy "prod"' });
  });

  it('fails a payload altered after signing', () => {
    expect(check(envelope({ envelope: format, alterPayload: true }), mediaType).reason).toBe("the signature does not verify with its signing certificate's key: the envelope was altered after signing");
  });

  it('fails an expired signing certificate and an expired signature', () => {
    // A chain that was valid in 2020: signed then, but expired now (no verified timestamp can vouch for 2020).
    const oldRoot = issueCertificate({ commonName: 'Old Root CA', ca: true, notBefore: new Date('2019-01-01T00:00:00Z'), notAfter: new Date('2040-01-01T00:00:00Z') });
    const expired = issueCertificate({ commonName: 'Old Signer', issuer: oldRoot, extendedKeyUsage: 'codeSigning', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    const oldCtx = { ...ctx, trust: trustPolicy('prod', { certificates: { old: oldRoot } }) };
    expect(check(envelope({ envelope: format, chain: [expired, oldRoot], signingTime: new Date('2020-06-01T00:00:00Z') }), mediaType, oldCtx).reason).toBe(
      `certificate "CN=Old Signer" expired at 2021-01-01T00:00:00.000Z (the verification time is ${ctx.now.toISOString()})`,
    );
    expect(check(envelope({ envelope: format, chain: [expired, oldRoot] }), mediaType, oldCtx).reason).toMatch(/^certificate "CN=Old Signer" expired at 2021-01-01T00:00:00.000Z \(the signing time is /);
    expect(check(envelope({ envelope: format, expiry: new Date(ctx.now.getTime() - 1000) }), mediaType).reason).toMatch(/^the signature expired at /);
    expect(check(envelope({ envelope: format, expiry: new Date(ctx.now.getTime() + 3600_000) }), mediaType).valid).toBe(true);
  });

  it('checks certificates at the authentic signing time of the signing-authority scheme', () => {
    expect(check(envelope({ envelope: format, scheme: 'notary.x509.signingAuthority' }), mediaType).details).toMatchObject({ signingScheme: 'notary.x509.signingAuthority' });
    expect(check(envelope({ envelope: format, scheme: 'notary.x509.signingAuthority', signingTime: new Date('2019-01-01T00:00:00Z') }), mediaType).reason).toMatch(/is not valid until .* \(the authentic signing time is 2019-01-01T00:00:00.000Z\)/);
  });

  it('refuses critical headers it does not understand and an alg that does not match the key', () => {
    expect(check(envelope({ envelope: format, extraHeaders: { 'io.cncf.notary.verificationPlugin': 'com.example.plugin' }, extraCrit: ['io.cncf.notary.verificationPlugin'] }), mediaType).reason).toBe(
      'the signature requires verification plugin "com.example.plugin", which Berth does not run',
    );
    expect(check(envelope({ envelope: format, alg: 'ES384' }), mediaType).reason).toBe('alg ES384 does not match the signing key (ecdsa-p256 requires ES256)');
  });
});

describe('Notation signatures with RSA keys and certificate requirements', () => {
  it('verifies PS256 and PS384 signatures of RSA 2048 and 3072 keys', () => {
    for (const keyType of ['rsa-2048', 'rsa-3072'] as const) {
      const c = codeSigningChain({ keyType });
      const verdict = verifyNotation(notationEnvelope(subject, { chain: [c.leaf, c.intermediate, c.root] }), jose, subject, { ...ctx, trust: trustPolicy('p', { certificates: { root: c.root } }) });
      expect(verdict).toMatchObject({ valid: true, details: { algorithm: keyType === 'rsa-2048' ? 'PS256' : 'PS384' } });
    }
  });

  it('refuses a leaf for TLS servers, a leaf without key usage and a CA without keyCertSign', () => {
    const tls = issueCertificate({ commonName: 'Web', issuer: chain.intermediate, extendedKeyUsage: 'serverAuth' });
    expect(check(envelope({ chain: [tls, chain.intermediate, chain.root] })).reason).toBe('signing certificate "CN=Web" extended key usage must not include 1.3.6.1.5.5.7.3.1 (only code signing)');
    const noUsage = issueCertificate({ commonName: 'Loose', issuer: chain.intermediate, keyUsage: null });
    expect(check(envelope({ chain: [noUsage, chain.intermediate, chain.root] })).reason).toBe('signing certificate "CN=Loose" has no key usage extension');
    const weakCa = issueCertificate({ commonName: 'Weak CA', issuer: chain.root, ca: true, keyUsage: 'critical,digitalSignature' });
    const leaf = issueCertificate({ commonName: 'Signer', issuer: weakCa, extendedKeyUsage: 'codeSigning' });
    expect(check(envelope({ chain: [leaf, weakCa, chain.root] })).reason).toBe('CA certificate "CN=Weak CA" must have a critical key usage with keyCertSign');
    expect(check(envelope({ chain: [chain.leaf, chain.root] })).reason).toBe('certificate chain is broken: "CN=Acme Root CA" did not issue "CN=Acme Signer"');
  });

  it('turns malformed envelopes into failed checks', () => {
    expect(check(Buffer.from('{nope')).reason).toBe('malformed JWS envelope: the JWS envelope is not a JSON object');
    const jws = JSON.parse(envelope().toString()) as Record<string, unknown>;
    expect(check(Buffer.from(JSON.stringify({ ...jws, signatures: [] }))).reason).toContain('must be flattened JSON');
    expect(check(Buffer.from(JSON.stringify({ ...jws, signature: '***' }))).reason).toContain('not base64url');
    expect(check(Buffer.from(JSON.stringify({ ...jws, header: {} }))).reason).toContain('no x5c certificate chain');
    expect(check(Buffer.from(JSON.stringify({ ...jws, header: { x5c: ['AAAA'] } }))).reason).toMatch(/^certificate chain: not an X.509 certificate/);
    const header = { alg: 'ES256', cty: 'text/plain', crit: ['io.cncf.notary.signingScheme'], 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': '2026-01-01T00:00:00Z' };
    expect(check(Buffer.from(JSON.stringify({ ...jws, protected: Buffer.from(JSON.stringify(header)).toString('base64url') }))).reason).toBe('the content type is "text/plain", not application/vnd.cncf.notary.payload.v1+json');
    expect(check(Buffer.from([0xd2, 0x84, 0x40]), cose).reason).toMatch(/^malformed COSE envelope: the COSE envelope is not CBOR/);
    expect(check(Buffer.from('{}'), 'application/pkcs7').reason).toContain('not application/jose+json or application/cose');
    expect(check(envelope(), jose, { ...ctx, trust: trustPolicy('none', {}) }).reason).toBe('trust policy "prod" has no usable certificates to verify a Notation signature with');
  });
});
