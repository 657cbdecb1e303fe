import { createHash } from 'node:crypto';
import { parseDigest } from '../core/digest.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { isObject, parseJson } from './verdict.ts';

/** Signature payloads, envelopes and bundles are a few KiB; anything past this is refused unread. */
export const maxSignatureBlobBytes = 256 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, unknown>;
}

/** The parts of a signature manifest discovery needs; an error for anything that is not an image manifest. */
export function parseSignatureManifest(bytes: Buffer): { layers: Descriptor[]; configMediaType?: string; artifactType?: string } | { error: string } {
  const doc = parseJson(bytes);
  if (!isObject(doc) || !Array.isArray(doc.layers)) return { error: 'the signature manifest is not an image manifest with layers' };
  const layers: Descriptor[] = [];
  for (const l of doc.layers) {
    if (!isObject(l) || typeof l.mediaType !== 'string' || typeof l.digest !== 'string' || typeof l.size !== 'number') return { error: 'the signature manifest has a malformed layer descriptor' };
    layers.push({ mediaType: l.mediaType, digest: l.digest, size: l.size, annotations: isObject(l.annotations) ? l.annotations : {} });
  }
  const configMediaType = isObject(doc.config) && typeof doc.config.mediaType === 'string' ? doc.config.mediaType : undefined;
  return { layers, ...(configMediaType ? { configMediaType } : {}), ...(typeof doc.artifactType === 'string' ? { artifactType: doc.artifactType } : {}) };
}

/**
 * Reads a signature blob whole, but only a small one: the descriptor's size and the stored size must both be within
 * `limit`, at most `limit` bytes are read, and the bytes must hash to the digest. Answers why not otherwise.
 */
export async function readSignatureBlob(blobs: BlobStore, d: Pick<Descriptor, 'digest' | 'size'>, limit = maxSignatureBlobBytes): Promise<Buffer | { error: string }> {
  const parsed = parseDigest(d.digest);
  if (!parsed) return { error: `the layer's digest ${JSON.stringify(d.digest.slice(0, 80))} is not a valid digest` };
  if (d.size > limit) return { error: `the signature blob is ${d.size} bytes, over the limit of ${limit} bytes for signatures` };
  const stored = await blobs.size(d.digest).catch(() => null);
  if (stored === null) return { error: `the signature blob ${d.digest} is not stored` };
  if (stored > limit) return { error: `the signature blob is ${stored} bytes, over the limit of ${limit} bytes for signatures` };
  if (stored === 0) return Buffer.alloc(0);
  const stream = await blobs.open(d.digest, { start: 0, end: stored - 1 });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      stream.destroy();
      return { error: `the signature blob is over the limit of ${limit} bytes for signatures` };
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (createHash(parsed.algorithm).update(bytes).digest('hex') !== parsed.hex) return { error: `the stored bytes of ${d.digest} do not match their digest` };
  return bytes;
}
