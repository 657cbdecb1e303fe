import { X509Certificate } from 'node:crypto';
import { DerError, children, decodeOid, decodeSmallInt, expectTag, parseDer, readTlv, tags, type Tlv } from './der.ts';

/**
 * What Berth needs to know about an X.509 certificate beyond Node's `X509Certificate`: the extensions with their
 * critical flags (key usage bits, basic constraints with the path length, extended key usages, subject alternative
 * names, Fulcio's OIDC issuer) and the signature algorithm, read from the DER with `der.ts`.
 */
export interface CertificateFacts {
  cert: X509Certificate;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** sha256 of the DER, upper-case hex as Notation's thumbprint annotation writes it. */
  fingerprint: string;
  signatureAlgorithm: string;
  keyUsage?: { critical: boolean; bits: Set<KeyUsageBit> };
  basicConstraints?: { critical: boolean; ca: boolean; pathLength?: number };
  extendedKeyUsage?: { critical: boolean; oids: string[] };
  /** email, URI and DNS names of the subject alternative name extension. */
  subjectAlternativeNames: string[];
  /** The OIDC issuer Fulcio recorded (OID 1.3.6.1.4.1.57264.1.8, or the older 1.3.6.1.4.1.57264.1.1). */
  fulcioIssuer?: string;
}

export type KeyUsageBit =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';
const keyUsageBits: KeyUsageBit[] = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

export const oids = {
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  anyExtendedKeyUsage: '2.5.29.37.0',
  fulcioIssuerV1: '1.3.6.1.4.1.57264.1.1',
  fulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
} as const;

export class CertificateError extends Error {
  override name = 'CertificateError';
}

/** Parses one DER certificate; throws `CertificateError` with a readable message for anything malformed. */
export function certificateFacts(der: Buffer): CertificateFacts {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err) {
    throw new CertificateError(`not an X.509 certificate (${(err as Error).message})`);
  }
  try {
    return { ...readExtensions(cert.raw), ...basics(cert) };
  } catch (err) {
    if (err instanceof DerError) throw new CertificateError(`malformed certificate: ${err.message}`);
    throw err;
  }
}

/** Every certificate of a PEM bundle (one or more `BEGIN CERTIFICATE` blocks), as DER. */
export function pemCertificates(pem: string): Buffer[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)];
  return blocks.map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function basics(cert: X509Certificate) {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new CertificateError('certificate validity is unreadable');
  return { cert, subject: cert.subject.replace(/\n/g, ', '), notBefore, notAfter, fingerprint: cert.fingerprint256.replace(/:/g, '') };
}

function readExtensions(raw: Buffer): Omit<CertificateFacts, 'cert' | 'subject' | 'notBefore' | 'notAfter' | 'fingerprint'> {
  const top = children(expectTag(parseDer(raw), tags.sequence, 'Certificate'));
  const tbs = children(expectTag(top[0], tags.sequence, 'TBSCertificate'));
  const algorithm = children(expectTag(top[1], tags.sequence, 'signatureAlgorithm'));
  const facts: ReturnType<typeof readExtensions> = {
    signatureAlgorithm: decodeOid(expectTag(algorithm[0], tags.oid, 'signature algorithm OID').value),
    subjectAlternativeNames: [],
  };
  // Extensions are the explicit [3] element of a v3 TBSCertificate.
  const wrapper = tbs.find((t) => t.tag === 0xa3);
  if (!wrapper) return facts;
  for (const ext of children(expectTag(children(wrapper)[0], tags.sequence, 'Extensions'))) {
    const parts = children(expectTag(ext, tags.sequence, 'Extension'));
    const oid = decodeOid(expectTag(parts[0], tags.oid, 'extension OID').value);
    const hasFlag = parts[1]?.tag === tags.boolean;
    const critical = hasFlag ? parts[1]!.value[0] !== 0 : false;
    const value = expectTag(parts[hasFlag ? 2 : 1], tags.octetString, 'extension value').value;
    applyExtension(facts, oid, critical, value);
  }
  return facts;
}

function applyExtension(facts: ReturnType<typeof readExtensions>, oid: string, critical: boolean, value: Buffer): void {
  switch (oid) {
    case oids.keyUsage: {
      const bits = expectTag(parseDer(value), tags.bitString, 'KeyUsage').value;
      const set = new Set<KeyUsageBit>();
      keyUsageBits.forEach((name, i) => {
        const byte = bits[1 + (i >> 3)];
        if (byte !== undefined && byte & (0x80 >> (i & 7))) set.add(name);
      });
      facts.keyUsage = { critical, bits: set };
      break;
    }
    case oids.basicConstraints: {
      const parts = children(expectTag(parseDer(value), tags.sequence, 'BasicConstraints'));
      let i = 0;
      let ca = false;
      if (parts[i]?.tag === tags.boolean) ca = parts[i++]!.value[0] !== 0;
      const pathLength = parts[i]?.tag === tags.integer ? decodeSmallInt(parts[i]!.value) : undefined;
      facts.basicConstraints = { critical, ca, ...(pathLength === undefined ? {} : { pathLength }) };
      break;
    }
    case oids.extendedKeyUsage:
      facts.extendedKeyUsage = { critical, oids: children(expectTag(parseDer(value), tags.sequence, 'ExtKeyUsage')).map((t) => decodeOid(t.value)) };
      break;
    case oids.subjectAltName:
      facts.subjectAlternativeNames = children(expectTag(parseDer(value), tags.sequence, 'SubjectAltName')).flatMap(generalName);
      break;
    case oids.fulcioIssuerV2:
      facts.fulcioIssuer = expectTag(parseDer(value), tags.utf8String, 'Fulcio issuer').value.toString('utf8');
      break;
    case oids.fulcioIssuerV1:
      // The deprecated extension holds the issuer's raw bytes, not a DER string.
      facts.fulcioIssuer ??= value.toString('utf8');
      break;
  }
}

// rfc822Name [1], dNSName [2] and uniformResourceIdentifier [6] are IA5Strings with implicit tags; Fulcio's
// otherName [0] (OID 1.3.6.1.4.1.57264.1.7) carries a UTF8String username.
function generalName(t: Tlv): string[] {
  if (t.tag === 0x81 || t.tag === 0x82 || t.tag === 0x86) return [t.value.toString('ascii')];
  if (t.tag === 0xa0) {
    const parts = children(t);
    const inner = parts[1] && parts[1].tag === 0xa0 ? readTlv(parts[1].value) : undefined;
    return inner?.tag === tags.utf8String ? [inner.value.toString('utf8')] : [];
  }
  return [];
}
