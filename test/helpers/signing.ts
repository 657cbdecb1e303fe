import { constants, createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { TrustPolicySpec } from '../../server/policy/documents.ts';
import { encodeCbor, Tagged } from '../../server/signing/cbor.ts';
import { pae } from '../../server/signing/sigstore-bundle.ts';
import { generateKey, type TestCertificate, type TestKeyType } from './certificates.ts';
import { ociManifestType, sha256, type OciTestClient } from './oci-client.ts';

/**
 * Signatures in the layouts real tools write, made with Node's crypto, for signing and promotion tests: cosign
 * (`.sig` tag and OCI 1.1 referrer), Notation (JWS and COSE referrers with a certificate chain) and Sigstore bundles
 * (keyed and with a certificate, optionally with a Rekor entry). Each push helper has tampering options.
 */

export interface TestKeyPair {
  type: TestKeyType;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM, as a trust policy holds it. */
  publicKeyPem: string;
}

export function makeKeyPair(type: TestKeyType = 'ecdsa-p256'): TestKeyPair {
  const { privateKey, publicKey } = generateKey(type);
  return { type, privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Signs as cosign does: ECDSA (DER) over SHA-256 (or `hash`), RSA PKCS#1 v1.5 (or PSS) with SHA-256, Ed25519 over the data. */
export function cosignSign(key: { privateKey: KeyObject }, data: Buffer, opts: { hash?: string; pss?: boolean } = {}): Buffer {
  const k = key.privateKey;
  if (k.asymmetricKeyType === 'ed25519') return sign(null, data, k);
  if (k.asymmetricKeyType === 'ec') return sign(opts.hash ?? 'sha256', data, { key: k, dsaEncoding: 'der' });
  return sign('sha256', data, opts.pss ? { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key: k, padding: constants.RSA_PKCS1_PADDING });
}

/** A digest no artifact has. */
export const otherDigest = (): string => sha256(randomBytes(32));

/** A trust policy (with its name) from named key pairs, certificates and a Sigstore root. */
export function trustPolicy(name: string, parts: { keys?: Record<string, TestKeyPair>; certificates?: Record<string, TestCertificate>; sigstore?: TrustPolicySpec['sigstore'] }): TrustPolicySpec & { name: string } {
  return {
    name,
    ...(parts.keys ? { keys: Object.entries(parts.keys).map(([n, k]) => ({ name: n, publicKey: k.publicKeyPem })) } : {}),
    ...(parts.certificates ? { certificates: Object.entries(parts.certificates).map(([n, c]) => ({ name: n, certificate: c.pem })) } : {}),
    ...(parts.sigstore ? { sigstore: parts.sigstore } : {}),
  };
}

export interface Subject {
  digest: string;
  size: number;
  mediaType?: string;
}

// ---------------------------------------------------------------------------------------------------- Rekor

/** A stand-in transparency log: its key signs entries' timestamps as Rekor does. */
export interface TestRekor {
  key: TestKeyPair;
  /** sha256 of the key's DER SPKI, hex. */
  logId: string;
}

export function makeRekor(): TestRekor {
  const key = makeKeyPair('ecdsa-p256');
  return { key, logId: createHash('sha256').update(key.publicKey.export({ type: 'spki', format: 'der' })).digest('hex') };
}

export interface TestLogEntry {
  body: Buffer;
  integratedTime: number;
  logIndex: number;
  logId: string;
  signedEntryTimestamp: Buffer;
}

/** A hashedrekord (signature over data) or dsse (envelope) entry recorded by `rekor`, with its signed entry timestamp. */
export function rekorEntry(rekor: TestRekor, e: { signature: Buffer; signerPem: string; dataSha256?: string; payloadSha256?: string; integratedTime?: number }): TestLogEntry {
  const verifier = Buffer.from(e.signerPem).toString('base64');
  const body = e.payloadSha256
    ? { apiVersion: '0.0.1', kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: sha256(e.signature).slice(7) }, payloadHash: { algorithm: 'sha256', value: e.payloadSha256 }, signatures: [{ signature: e.signature.toString('base64'), verifier }] } }
    : { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: e.dataSha256 } }, signature: { content: e.signature.toString('base64'), publicKey: { content: verifier } } } };
  const bodyBytes = Buffer.from(JSON.stringify(body));
  const integratedTime = e.integratedTime ?? Math.floor(Date.now() / 1000);
  const logIndex = Math.floor(Math.random() * 1e6);
  const canonical = JSON.stringify({ body: bodyBytes.toString('base64'), integratedTime, logID: rekor.logId, logIndex });
  return { body: bodyBytes, integratedTime, logIndex, logId: rekor.logId, signedEntryTimestamp: sign('sha256', Buffer.from(canonical), rekor.key.privateKey) };
}

// ---------------------------------------------------------------------------------------------------- cosign

export const cosignLayerType = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const cosignReferrerType = 'application/vnd.dev.cosign.artifact.sig.v1+json';

/** cosign's simple-signing payload for `digest`. */
export function simpleSigningPayload(repo: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': repo }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

export interface CosignOptions {
  /** The payload names this digest instead of the subject's (a signature of another artifact). */
  payloadDigest?: string;
  /** Sign the payload, then push an altered one under the same signature. */
  alterPayload?: boolean;
  /** Keyless: the signing certificate (its key signs) and its chain, as cosign's annotations. */
  certificate?: TestCertificate;
  chain?: TestCertificate[];
  /** Record the signature in this log and attach cosign's `bundle` annotation. */
  rekor?: TestRekor;
  rsaPss?: boolean;
  hash?: string;
  /** Raw annotation overrides (malformed input tests). */
  annotations?: Record<string, string>;
}

/** One signed simple-signing layer: the payload blob (pushed) and its descriptor with cosign's annotations. */
async function cosignLayer(oci: OciTestClient, repo: string, subjectDigest: string, signer: { privateKey: KeyObject } | undefined, opts: CosignOptions) {
  const payload = simpleSigningPayload(repo, opts.payloadDigest ?? subjectDigest);
  const key = opts.certificate ?? signer;
  if (!key) throw new Error('a key or a certificate is needed');
  const signature = cosignSign(key, payload, { pss: opts.rsaPss, hash: opts.hash });
  const pushed = opts.alterPayload ? Buffer.from(JSON.stringify({ ...JSON.parse(payload.toString()), optional: { note: 'altered after signing' } })) : payload;
  await oci.pushBlob(repo, pushed);
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': signature.toString('base64') };
  if (opts.certificate) annotations['dev.sigstore.cosign/certificate'] = opts.certificate.pem;
  if (opts.chain?.length) annotations['dev.sigstore.cosign/chain'] = opts.chain.map((c) => c.pem).join('');
  if (opts.rekor) {
    const signerPem = opts.certificate ? opts.certificate.pem : (signer as TestKeyPair).publicKeyPem;
    const e = rekorEntry(opts.rekor, { signature, signerPem, dataSha256: sha256(payload).slice(7) });
    annotations['dev.sigstore.cosign/bundle'] = JSON.stringify({
      SignedEntryTimestamp: e.signedEntryTimestamp.toString('base64'),
      Payload: { body: e.body.toString('base64'), integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logId },
    });
  }
  Object.assign(annotations, opts.annotations);
  return { mediaType: cosignLayerType, digest: sha256(pushed), size: pushed.length, annotations };
}

async function cosignConfig(oci: OciTestClient, repo: string, layers: Array<{ digest: string }>): Promise<{ digest: string; size: number }> {
  const config = Buffer.from(JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  await oci.pushBlob(repo, config);
  return { digest: sha256(config), size: config.length };
}

/** Pushes a manifest by tag, or by its own digest when no tag is given (as referrers are). */
async function put(oci: OciTestClient, repo: string, tag: string | undefined, manifest: object): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const res = await oci.putManifest(repo, tag ?? sha256(bytes), bytes);
  if (res.status !== 201) throw new Error(`signature manifest push failed: ${res.status} ${await res.text()}`);
  return sha256(bytes);
}

/**
 * Pushes a cosign signature in the legacy layout: the simple-signing payload as a layer of an image manifest tagged
 * `sha256-<hex>.sig`. Like cosign, a second signature is appended as another layer of the existing manifest.
 * Returns the signature manifest's digest and the layer's index.
 */
export async function pushCosignSignature(oci: OciTestClient, repo: string, subjectDigest: string, key: TestKeyPair | undefined, opts: CosignOptions = {}): Promise<{ digest: string; index: number }> {
  const tag = `sha256-${subjectDigest.slice(7)}.sig`;
  const existing = await oci.request('GET', `/v2/${repo}/manifests/${tag}`, { headers: { accept: ociManifestType } });
  const layers = existing.status === 200 ? ((await existing.json()) as { layers: object[] }).layers : [];
  layers.push(await cosignLayer(oci, repo, subjectDigest, key, opts));
  const config = await cosignConfig(oci, repo, layers as Array<{ digest: string }>);
  const digest = await put(oci, repo, tag, { schemaVersion: 2, mediaType: ociManifestType, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers });
  return { digest, index: layers.length - 1 };
}

/** Pushes a cosign signature as an OCI 1.1 referrer (cosign's `--registry-referrers-mode=oci-1-1` layout). */
export async function pushCosignReferrer(oci: OciTestClient, repo: string, subject: Subject, key: TestKeyPair | undefined, opts: CosignOptions = {}): Promise<string> {
  const layer = await cosignLayer(oci, repo, subject.digest, key, opts);
  const config = await cosignConfig(oci, repo, [layer]);
  return put(oci, repo, undefined, {
    schemaVersion: 2,
    mediaType: ociManifestType,
    artifactType: cosignReferrerType,
    config: { mediaType: cosignReferrerType, ...config },
    layers: [layer],
    subject: { mediaType: subject.mediaType ?? ociManifestType, digest: subject.digest, size: subject.size },
  });
}

const emptyConfig = Buffer.from('{}');
const emptyDescriptor = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: emptyConfig.length };

/** Pushes an OCI 1.1 referrer with one layer holding `blob`. */
export async function pushReferrerBlob(oci: OciTestClient, repo: string, subject: Subject, artifactType: string, layerType: string, blob: Buffer, annotations?: Record<string, string>): Promise<string> {
  await oci.pushBlob(repo, emptyConfig);
  await oci.pushBlob(repo, blob);
  return put(oci, repo, undefined, {
    schemaVersion: 2,
    mediaType: ociManifestType,
    artifactType,
    config: emptyDescriptor,
    layers: [{ mediaType: layerType, digest: sha256(blob), size: blob.length }],
    subject: { mediaType: subject.mediaType ?? ociManifestType, digest: subject.digest, size: subject.size },
    ...(annotations ? { annotations } : {}),
  });
}

// ---------------------------------------------------------------------------------------------------- Notation

export const notationType = 'application/vnd.cncf.notary.signature';
const notaryPayloadType = 'application/vnd.cncf.notary.payload.v1+json';

export interface NotationOptions {
  /** The signing certificate first, then the rest of the chain (root last, or omitted). */
  chain: TestCertificate[];
  envelope?: 'jws' | 'cose';
  /** Defaults to the algorithm the leaf key requires. */
  alg?: string;
  signingTime?: Date;
  expiry?: Date;
  /** The payload names this digest (a signature of another artifact). */
  targetDigest?: string;
  targetSize?: number;
  /** Change the payload after signing. */
  alterPayload?: boolean;
  /** Extra protected headers, and names to add to crit. */
  extraHeaders?: Record<string, unknown>;
  extraCrit?: string[];
  scheme?: 'notary.x509' | 'notary.x509.signingAuthority';
}

function notationAlg(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[d.namedCurve as 'prime256v1']!;
  return { 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' }[d.modulusLength as 2048]!;
}

function notarySign(alg: string, key: KeyObject, data: Buffer): Buffer {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('PS')) return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');
const coseAlgs: Record<string, number> = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };

/** A Notation signature envelope (flattened JWS or COSE_Sign1) over `subject`, signed with the chain's leaf key. */
export function notationEnvelope(subject: Subject, opts: NotationOptions): Buffer {
  const leaf = opts.chain[0]!;
  const alg = opts.alg ?? notationAlg(leaf.privateKey);
  const scheme = opts.scheme ?? 'notary.x509';
  const target = { mediaType: subject.mediaType ?? ociManifestType, digest: opts.targetDigest ?? subject.digest, size: opts.targetSize ?? subject.size };
  const payload = Buffer.from(JSON.stringify({ targetArtifact: target }));
  const signed = opts.alterPayload ? Buffer.from(JSON.stringify({ targetArtifact: { ...target, annotations: { altered: 'yes' } } })) : payload;
  const time = opts.signingTime ?? new Date();
  const timeName = scheme === 'notary.x509' ? 'io.cncf.notary.signingTime' : 'io.cncf.notary.authenticSigningTime';
  const crit = ['io.cncf.notary.signingScheme', ...(scheme === 'notary.x509' ? [] : [timeName]), ...(opts.expiry ? ['io.cncf.notary.expiry'] : []), ...(opts.extraCrit ?? [])];
  if (opts.envelope === 'cose') {
    const prot = new Map<string | number, unknown>([
      [1, coseAlgs[alg] ?? -7],
      [2, crit],
      [3, notaryPayloadType],
      ['io.cncf.notary.signingScheme', scheme],
      [timeName, new Tagged(1, Math.floor(time.getTime() / 1000))],
      ...(opts.expiry ? [['io.cncf.notary.expiry', new Tagged(1, Math.floor(opts.expiry.getTime() / 1000))] as [string, unknown]] : []),
      ...Object.entries(opts.extraHeaders ?? {}),
    ]);
    const protectedBytes = encodeCbor(prot as never);
    const signature = notarySign(alg, leaf.privateKey, encodeCbor(['Signature1', protectedBytes, Buffer.alloc(0), payload]));
    const unprotected = new Map<string | number, unknown>([[33, opts.chain.map((c) => c.der)], ['io.cncf.notary.signingAgent', 'berth-test/1.0']]);
    return encodeCbor(new Tagged(18, [protectedBytes, unprotected as never, signed, signature]));
  }
  const header = { alg, cty: notaryPayloadType, crit, 'io.cncf.notary.signingScheme': scheme, [timeName]: rfc3339(time), ...(opts.expiry ? { 'io.cncf.notary.expiry': rfc3339(opts.expiry) } : {}), ...opts.extraHeaders };
  const protectedB64 = Buffer.from(JSON.stringify(header)).toString('base64url');
  const signature = notarySign(alg, leaf.privateKey, Buffer.from(`${protectedB64}.${payload.toString('base64url')}`));
  return Buffer.from(
    JSON.stringify({
      payload: signed.toString('base64url'),
      protected: protectedB64,
      header: { x5c: opts.chain.map((c) => c.der.toString('base64')), 'io.cncf.notary.signingAgent': 'berth-test/1.0' },
      signature: signature.toString('base64url'),
    }),
  );
}

/** Pushes a Notation signature as Notation does: a referrer with artifactType notary, one envelope layer, thumbprints. */
export async function pushNotationSignature(oci: OciTestClient, repo: string, subject: Subject, opts: NotationOptions): Promise<string> {
  const envelope = notationEnvelope(subject, opts);
  const thumbprints = JSON.stringify(opts.chain.map((c) => c.cert.fingerprint256.replace(/:/g, '')));
  return pushReferrerBlob(oci, repo, subject, notationType, opts.envelope === 'cose' ? 'application/cose' : 'application/jose+json', envelope, { 'io.cncf.notary.x509chain.thumbprint#S256': thumbprints });
}

// ---------------------------------------------------------------------------------------------------- Sigstore bundles

export const sigstoreBundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface BundleOptions {
  /** message-signature: over the subject's manifest bytes (needed); dsse: an in-toto statement naming the subject. */
  content?: 'message-signature' | 'dsse';
  /** The subject's manifest bytes (for a message signature). */
  manifest?: Buffer;
  /** Keyed: this key signs and the bundle carries a public key hint. */
  key?: TestKeyPair;
  hint?: string;
  /** Certificate: the signing certificate (its key signs) and optional intermediates. */
  certificate?: TestCertificate;
  chain?: TestCertificate[];
  rekor?: TestRekor;
  /** Integration time for the log entry (seconds), default now. */
  integratedTime?: number;
  /** The statement (or message digest) names this digest instead. */
  subjectDigest?: string;
  alterPayload?: boolean;
  mediaType?: string;
  predicateType?: string;
}

/** A Sigstore bundle (protobuf-specs JSON) signing `subject`. */
export function sigstoreBundle(subject: Subject, opts: BundleOptions): Buffer {
  const signer = opts.certificate ?? opts.key;
  if (!signer) throw new Error('a key or a certificate is needed');
  const named = opts.subjectDigest ?? subject.digest;
  let content: Record<string, unknown>;
  let signature: Buffer;
  let entry: { dataSha256?: string; payloadSha256?: string };
  if ((opts.content ?? 'dsse') === 'dsse') {
    const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: named.slice(7) } }], predicateType: opts.predicateType ?? 'https://sigstore.dev/cosign/sign/v1', predicate: {} };
    const payload = Buffer.from(JSON.stringify(statement));
    signature = cosignSign(signer, pae('application/vnd.in-toto+json', payload));
    const carried = opts.alterPayload ? Buffer.from(JSON.stringify({ ...statement, predicate: { altered: true } })) : payload;
    content = { dsseEnvelope: { payload: carried.toString('base64'), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: signature.toString('base64'), keyid: '' }] } };
    entry = { payloadSha256: sha256(payload).slice(7) };
  } else {
    if (!opts.manifest) throw new Error('a message signature needs the subject manifest');
    const message = opts.alterPayload ? Buffer.concat([opts.manifest, Buffer.from(' ')]) : opts.manifest;
    signature = cosignSign(signer, message);
    content = { messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(named.slice(7), 'hex').toString('base64') }, signature: signature.toString('base64') } };
    entry = { dataSha256: sha256(message).slice(7) };
  }
  const tlogEntries = [];
  if (opts.rekor) {
    const signerPem = opts.certificate ? opts.certificate.pem : opts.key!.publicKeyPem;
    const e = rekorEntry(opts.rekor, { signature, signerPem, ...entry, integratedTime: opts.integratedTime });
    tlogEntries.push({
      logIndex: String(e.logIndex),
      logId: { keyId: Buffer.from(e.logId, 'hex').toString('base64') },
      kindVersion: { kind: entry.payloadSha256 ? 'dsse' : 'hashedrekord', version: '0.0.1' },
      integratedTime: String(e.integratedTime),
      inclusionPromise: { signedEntryTimestamp: e.signedEntryTimestamp.toString('base64') },
      canonicalizedBody: e.body.toString('base64'),
    });
  }
  const material = opts.certificate
    ? opts.chain?.length
      ? { x509CertificateChain: { certificates: [opts.certificate, ...opts.chain].map((c) => ({ rawBytes: c.der.toString('base64') })) } }
      : { certificate: { rawBytes: opts.certificate.der.toString('base64') } }
    : { publicKey: { hint: opts.hint ?? '' } };
  return Buffer.from(JSON.stringify({ mediaType: opts.mediaType ?? sigstoreBundleType, verificationMaterial: { ...material, tlogEntries }, ...content }));
}

/** Pushes a Sigstore bundle as cosign attaches one: a referrer whose artifactType and layer are the bundle type. */
export async function pushSigstoreBundle(oci: OciTestClient, repo: string, subject: Subject, opts: BundleOptions): Promise<string> {
  const type = opts.mediaType ?? sigstoreBundleType;
  return pushReferrerBlob(oci, repo, subject, type, type, sigstoreBundle(subject, opts), { 'dev.sigstore.bundle.content': opts.content === 'message-signature' ? 'message-signature' : 'dsse-envelope' });
}
