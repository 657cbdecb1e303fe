import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * X.509 certificates for signing tests, made with Debian's `openssl` CLI (Node can verify certificates but not
 * create them). `openssl ca` is used so validity dates can lie in the past or the future (expired certificates).
 */
export interface TestCertificate {
  pem: string;
  der: Buffer;
  cert: X509Certificate;
  privateKey: KeyObject;
  publicKey: KeyObject;
  privateKeyPem: string;
}

export type TestKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';

/** A fresh key pair of the given type. */
export function generateKey(type: TestKeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  if (type.startsWith('ecdsa-')) return generateKeyPairSync('ec', { namedCurve: { 'ecdsa-p256': 'prime256v1', 'ecdsa-p384': 'secp384r1', 'ecdsa-p521': 'secp521r1' }[type as 'ecdsa-p256']! });
  if (type.startsWith('rsa-')) return generateKeyPairSync('rsa', { modulusLength: Number(type.slice(4)) });
  return generateKeyPairSync('ed25519');
}

export interface CertificateRequest {
  commonName: string;
  /** The issuing certificate; omitted: self-signed. */
  issuer?: TestCertificate;
  keyType?: TestKeyType;
  /** An existing key pair for the certificate. */
  key?: { privateKey: KeyObject; publicKey: KeyObject };
  ca?: boolean;
  pathLength?: number;
  /** openssl keyUsage value; defaults: `critical,keyCertSign,cRLSign` for CAs, `critical,digitalSignature` otherwise. */
  keyUsage?: string | null;
  /** openssl extendedKeyUsage value (`codeSigning`, `serverAuth` ...); none by default. */
  extendedKeyUsage?: string;
  /** openssl subjectAltName value (`email:a@b`, `URI:https://...`). */
  subjectAltName?: string;
  /** Extra extension lines (`1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:https://issuer`). */
  extraExtensions?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

const asn1Time = (d: Date): string => d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');

/** Issues one certificate with `openssl ca`. */
export function issueCertificate(req: CertificateRequest): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cert-'));
  try {
    const key = req.key ?? generateKey(req.keyType ?? 'ecdsa-p256');
    const privateKeyPem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const file = (name: string, content: string) => {
      writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };
    const keyFile = file('key.pem', privateKeyPem);
    const ca = req.ca ?? false;
    const ext = [
      '[ext]',
      `basicConstraints = critical,CA:${ca ? 'TRUE' : 'FALSE'}${ca && req.pathLength !== undefined ? `,pathlen:${req.pathLength}` : ''}`,
      ...(req.keyUsage === null ? [] : [`keyUsage = ${req.keyUsage ?? (ca ? 'critical,keyCertSign,cRLSign' : 'critical,digitalSignature')}`]),
      ...(req.extendedKeyUsage ? [`extendedKeyUsage = ${req.extendedKeyUsage}`] : []),
      ...(req.subjectAltName ? [`subjectAltName = ${req.subjectAltName}`] : []),
      'subjectKeyIdentifier = hash',
      ...(req.extraExtensions ?? []),
    ].join('\n');
    const config = file(
      'ca.cnf',
      [
        '[ca]',
        'default_ca = own',
        '[own]',
        `database = ${file('index.txt', '')}`,
        `new_certs_dir = ${dir}`,
        `serial = ${file('serial', `${Date.now().toString(16).padStart(16, '0')}\n`)}`,
        'policy = any',
        'unique_subject = no',
        'email_in_dn = no',
        '[any]',
        'commonName = supplied',
        '[req]',
        'distinguished_name = dn',
        '[dn]',
        '',
      ].join('\n'),
    );
    const extFile = file('ext.cnf', `${ext}\n`);
    const csr = path.join(dir, 'req.csr');
    execFileSync('openssl', ['req', '-new', '-config', config, '-key', keyFile, '-subj', `/CN=${req.commonName}`, '-out', csr], { stdio: 'pipe' });
    const now = Date.now();
    const notBefore = req.notBefore ?? new Date(now - 60 * 60_000);
    const notAfter = req.notAfter ?? new Date(now + 30 * 24 * 60 * 60_000);
    const out = path.join(dir, 'cert.pem');
    const issuerArgs = req.issuer ? ['-cert', file('issuer.pem', req.issuer.pem), '-keyfile', file('issuer.key', req.issuer.privateKeyPem)] : ['-selfsign', '-keyfile', keyFile];
    // Ed25519 takes no digest; openssl refuses -md for it.
    const signer = req.issuer?.privateKey ?? key.privateKey;
    const md = signer.asymmetricKeyType === 'ed25519' ? [] : ['-md', 'sha256'];
    execFileSync(
      'openssl',
      ['ca', '-batch', '-notext', '-config', config, '-in', csr, '-out', out, ...issuerArgs, ...md, '-startdate', asn1Time(notBefore), '-enddate', asn1Time(notAfter), '-extfile', extFile, '-extensions', 'ext'],
      { stdio: 'pipe' },
    );
    const pem = readFileSync(out, 'utf8');
    const cert = new X509Certificate(pem);
    return { pem, der: cert.raw, cert, privateKey: key.privateKey, publicKey: key.publicKey, privateKeyPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A root CA, an intermediate CA and a code-signing leaf, as Notation expects them. */
export function codeSigningChain(opts: { keyType?: TestKeyType; leaf?: Partial<CertificateRequest>; name?: string } = {}): { root: TestCertificate; intermediate: TestCertificate; leaf: TestCertificate } {
  const name = opts.name ?? 'Berth Test';
  const root = issueCertificate({ commonName: `${name} Root CA`, ca: true, keyType: 'ecdsa-p384' });
  const intermediate = issueCertificate({ commonName: `${name} Intermediate CA`, ca: true, pathLength: 0, issuer: root, keyType: 'ecdsa-p256' });
  const leaf = issueCertificate({ commonName: `${name} Signer`, issuer: intermediate, keyType: opts.keyType ?? 'ecdsa-p256', extendedKeyUsage: 'codeSigning', ...opts.leaf });
  return { root, intermediate, leaf };
}

/** A Fulcio-like CA and a short-lived signing certificate for an OIDC identity (SAN and issuer extension). */
export function fulcioCertificate(ca: TestCertificate, identity: { subject: string; issuer: string }, opts: Partial<CertificateRequest> = {}): TestCertificate {
  const san = identity.subject.includes('://') ? `URI:${identity.subject}` : `email:${identity.subject}`;
  const now = Date.now();
  return issueCertificate({
    commonName: 'sigstore',
    issuer: ca,
    extendedKeyUsage: 'codeSigning',
    subjectAltName: san,
    extraExtensions: [`1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${identity.issuer}`],
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + 5 * 60_000),
    ...opts,
  });
}
