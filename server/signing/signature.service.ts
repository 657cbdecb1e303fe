import type { Knex } from 'knex';
import { artifactsRepo } from '../artifacts/artifacts.repo.ts';
import { tagsRepo } from '../artifacts/tags.repo.ts';
import type { Logger } from '../core/logger.ts';
import type { ArtifactRow } from '../db/types.ts';
import type { TrustPolicySpec } from '../policy/documents.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { cosign, verifyCosignLayer } from './cosign.ts';
import { notation, verifyNotation } from './notation.ts';
import { maxSignatureBlobBytes, parseSignatureManifest, readSignatureBlob, type Descriptor } from './signature-blobs.ts';
import type { SignatureCheck, SignatureFormat, SignatureVerifier } from './signatures.ts';
import type { Context } from './signers.ts';
import { bundleMediaTypes, verifySigstoreBundle } from './sigstore-bundle.ts';
import { fail, type Verdict } from './verdict.ts';

export interface SignatureServiceOptions {
  /** The time signatures are verified at (certificate validity, expiry); the wall clock by default. */
  clock?: () => Date;
  maxBlobBytes?: number;
  /** Referrers looked at per subject (the oldest first); more are not verified. */
  maxReferrers?: number;
}

/** The signature format a referrer's artifact type (or config media type) says it is. */
export function referrerFormat(artifactType: string | null): SignatureFormat | undefined {
  if (!artifactType) return undefined;
  if (artifactType === cosign.referrerArtifactType) return 'cosign';
  if (artifactType === notation.artifactType) return 'notation';
  if ((bundleMediaTypes as readonly string[]).includes(artifactType)) return 'sigstore-bundle';
  return undefined;
}

type Located = Pick<SignatureCheck, 'format' | 'attachment' | 'signatureDigest' | 'index'>;

/**
 * Discovers the signatures of an artifact in its repository (cosign's `sha256-<hex>.sig` tag, cosign, Sigstore bundle
 * and Notation referrers) from the database and the blob store, and verifies each with the pure format modules.
 * Reads no blob larger than a signature can be; reports every problem as a failed check, never throws for one.
 */
export class SignatureService implements SignatureVerifier {
  private readonly clock: () => Date;
  private readonly maxBlobBytes: number;
  private readonly maxReferrers: number;

  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly log?: Logger,
    options: SignatureServiceOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.maxBlobBytes = options.maxBlobBytes ?? maxSignatureBlobBytes;
    this.maxReferrers = options.maxReferrers ?? 100;
  }

  async verify(repository: string, digest: string, trust: TrustPolicySpec & { name: string }): Promise<SignatureCheck[]> {
    const subject = await artifactsRepo.find(this.db, repository, digest);
    if (!subject) return [];
    const ctx: Context = { trust, policyName: trust.name, now: this.clock() };
    const checks: SignatureCheck[] = [];
    let tagged: string | undefined;
    if (digest.startsWith('sha256:')) {
      tagged = (await tagsRepo.resolve(this.db, repository, `sha256-${digest.slice(7)}.sig`))?.digest;
      if (tagged) checks.push(...(await this.manifestChecks({ format: 'cosign', attachment: 'tag', signatureDigest: tagged }, subject, ctx)));
    }
    const referrers = await artifactsRepo.referrers(this.db, repository, digest);
    for (const r of referrers.slice(0, this.maxReferrers)) {
      // A `.sig` manifest that also names its subject is one signature, reported once (by its tag).
      if (r.digest === tagged) continue;
      const format = referrerFormat(r.artifact_type);
      if (format) checks.push(...(await this.manifestChecks({ format, attachment: 'referrer', signatureDigest: r.digest }, subject, ctx)));
    }
    return checks;
  }

  /** One check per signature in a signature manifest (cosign: per simple-signing layer; others: the one layer). */
  private async manifestChecks(at: Omit<Located, 'index'>, subject: ArtifactRow, ctx: Context): Promise<SignatureCheck[]> {
    const bytes = await artifactsRepo.manifestBytes(this.db, at.signatureDigest);
    const manifest = bytes ? parseSignatureManifest(bytes) : { error: 'the signature manifest is not stored' };
    if ('error' in manifest) return [{ ...at, index: 0, ...fail(manifest.error) }];
    if (at.format !== 'cosign') {
      const layer = manifest.layers[0];
      if (manifest.layers.length !== 1 || !layer) return [{ ...at, index: 0, ...fail(`a ${at.format} signature manifest must have exactly one layer, this one has ${manifest.layers.length}`) }];
      return [{ ...at, index: 0, ...(await this.guarded(at, () => this.verifyLayer(at.format, layer, subject, ctx))) }];
    }
    if (manifest.layers.length === 0) return [{ ...at, index: 0, ...fail('the cosign signature manifest has no layers') }];
    const out: SignatureCheck[] = [];
    for (const [index, layer] of manifest.layers.entries()) out.push({ ...at, index, ...(await this.guarded(at, () => this.verifyLayer('cosign', layer, subject, ctx))) });
    return out;
  }

  private async verifyLayer(format: SignatureFormat, layer: Descriptor, subject: ArtifactRow, ctx: Context): Promise<Verdict> {
    if (format === 'cosign' && layer.mediaType !== cosign.simpleSigningType) return fail(`the layer's media type is ${JSON.stringify(layer.mediaType.slice(0, 100))}, not ${cosign.simpleSigningType}`);
    if (format === 'sigstore-bundle' && !(bundleMediaTypes as readonly string[]).includes(layer.mediaType)) return fail(`the layer's media type is ${JSON.stringify(layer.mediaType.slice(0, 100))}, not a Sigstore bundle`);
    if (format === 'notation' && layer.mediaType !== notation.jws && layer.mediaType !== notation.cose) return fail(`the layer's media type is ${JSON.stringify(layer.mediaType.slice(0, 100))}, not ${notation.jws} or ${notation.cose}`);
    const blob = await readSignatureBlob(this.blobs, layer, this.maxBlobBytes);
    if (!Buffer.isBuffer(blob)) return fail(blob.error);
    if (format === 'cosign') return verifyCosignLayer(blob, layer.annotations, subject.digest, ctx);
    if (format === 'notation') return verifyNotation(blob, layer.mediaType, { digest: subject.digest, mediaType: subject.media_type, size: subject.manifest_size }, ctx);
    const manifest = await artifactsRepo.manifestBytes(this.db, subject.digest);
    if (!manifest) return fail('the signed artifact\'s manifest is not stored');
    return verifySigstoreBundle(blob, { digest: subject.digest, manifest }, ctx);
  }

  // A verifier bug must not turn one bad signature into a failed request: it becomes that signature's failed check.
  private async guarded(at: Omit<Located, 'index'>, run: () => Promise<Verdict>): Promise<Verdict> {
    try {
      return await run();
    } catch (err) {
      this.log?.warn({ err, signature: at.signatureDigest }, 'signature verification failed unexpectedly');
      return fail(`the signature could not be verified: ${(err as Error).message}`);
    }
  }
}
