import { describe, expect, it } from 'vitest';
import { issueCertificate } from '../../test/helpers/certificates.ts';
import { CborError, Tagged, decodeCbor, encodeCbor } from './cbor.ts';
import { CertificateError, certificateFacts, pemCertificates } from './certificates.ts';
import { DerError, decodeOid, parseDer } from './der.ts';
import { decodeBase64, decodeBase64Url } from './verdict.ts';

describe('CBOR subset', () => {
  it('round-trips the items COSE uses', () => {
    const value = new Tagged(18, [Buffer.from([1, 2]), new Map<string | number, never>([[33, [Buffer.alloc(300, 7)] as never], ['k', 'v' as never]]) as never, Buffer.alloc(70000, 1), -38]);
    const decoded = decodeCbor(encodeCbor(value)) as Tagged;
    expect(decoded.tag).toBe(18);
    const [a, map, payload, n] = decoded.value as [Buffer, Map<unknown, unknown>, Buffer, number];
    expect(a).toEqual(Buffer.from([1, 2]));
    expect((map.get(33) as Buffer[])[0]!.length).toBe(300);
    expect(map.get('k')).toBe('v');
    expect(payload.length).toBe(70000);
    expect(n).toBe(-38);
  });

  it('refuses indefinite lengths, truncation, trailing bytes, floats, duplicate keys and deep nesting', () => {
    expect(() => decodeCbor(Buffer.from([0x5f]))).toThrow(CborError);
    expect(() => decodeCbor(Buffer.from([0x44, 1, 2]))).toThrow('truncated');
    expect(() => decodeCbor(Buffer.from([0x01, 0x02]))).toThrow('trailing');
    expect(() => decodeCbor(Buffer.from([0xfb, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow('floats');
    expect(() => decodeCbor(Buffer.from([0xa2, 0x01, 0x01, 0x01, 0x02]))).toThrow('duplicate');
    expect(() => decodeCbor(Buffer.from(Array(40).fill(0x81).concat([0x01])))).toThrow('deeply');
  });
});

describe('DER and certificates', () => {
  it('reads OIDs and refuses malformed DER', () => {
    expect(decodeOid(Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08]))).toBe('1.3.6.1.4.1.57264.1.8');
    expect(() => parseDer(Buffer.from([0x30, 0x05, 0x01]))).toThrow(DerError);
    expect(() => parseDer(Buffer.from([0x30, 0x00, 0x00]))).toThrow('trailing');
  });

  it('reads key usage, basic constraints, extended key usage, SANs and the Fulcio issuer', () => {
    const ca = issueCertificate({ commonName: 'CA', ca: true, pathLength: 2 });
    const leaf = issueCertificate({ commonName: 'Leaf', issuer: ca, extendedKeyUsage: 'codeSigning,emailProtection', subjectAltName: 'email:a@example.com,URI:https://example.com/x', extraExtensions: ['1.3.6.1.4.1.57264.1.1 = ASN1:FORMAT:UTF8,UTF8String:https://old.example'] });
    expect(certificateFacts(ca.der)).toMatchObject({ basicConstraints: { critical: true, ca: true, pathLength: 2 }, keyUsage: { critical: true } });
    const facts = certificateFacts(leaf.der);
    expect([...facts.keyUsage!.bits]).toEqual(['digitalSignature']);
    expect(facts.extendedKeyUsage!.oids).toEqual(['1.3.6.1.5.5.7.3.3', '1.3.6.1.5.5.7.3.4']);
    expect(facts.subjectAlternativeNames).toEqual(['a@example.com', 'https://example.com/x']);
    expect(facts.fulcioIssuer).toContain('https://old.example');
    expect(pemCertificates(`${ca.pem}\n${leaf.pem}`).map((d) => d.equals(ca.der) || d.equals(leaf.der))).toEqual([true, true]);
    expect(() => certificateFacts(Buffer.from('not a certificate'))).toThrow(CertificateError);
  });
});

describe('strict base64', () => {
  it('accepts only the right alphabet', () => {
    expect(decodeBase64('aGk=')?.toString()).toBe('hi');
    expect(decodeBase64('aGk')?.toString()).toBe('hi');
    expect(decodeBase64('a-_b')).toBeUndefined();
    expect(decodeBase64('')).toBeUndefined();
    expect(decodeBase64(12)).toBeUndefined();
    expect(decodeBase64Url('aGk')?.toString()).toBe('hi');
    expect(decodeBase64Url('aGk=')).toBeUndefined();
  });
});
