import { Lru } from '../core/lru.ts';
import type { BlobStore } from '../storage/blob-store.ts';

/** Config blobs larger than this are not read for display (image configs are a few KiB; history can grow them). */
export const maxConfigBytes = 2 * 1024 * 1024;

type Json = Record<string, unknown>;

/**
 * Reads artifacts' config blobs for the management API (`extra_attrs`, build history): at most `maxConfigBytes`
 * of a blob and only when the stored blob is no larger, never a whole big blob. Configs are content-addressed, so
 * what was parsed once is kept (bounded by bytes) and never goes stale.
 */
export class ArtifactConfigReader {
  private readonly parsed = new Lru<string, { doc: Json | null; weight: number }>(32 * 1024 * 1024, (e) => e.weight);

  constructor(private readonly blobs: BlobStore) {}

  /** The config as a JSON object; null when it is missing, too large, not JSON or not an object. */
  async read(digest: string | null | undefined): Promise<Json | null> {
    if (!digest) return null;
    const cached = this.parsed.get(digest);
    if (cached) return cached.doc;
    const doc = await this.load(digest);
    this.parsed.set(digest, { doc, weight: 256 + (doc ? JSON.stringify(doc).length : 0) });
    return doc;
  }

  private async load(digest: string): Promise<Json | null> {
    const size = await this.blobs.size(digest).catch(() => null);
    if (size === null || size === 0 || size > maxConfigBytes) return null;
    try {
      const stream = await this.blobs.open(digest, { start: 0, end: size - 1 });
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of stream) {
        total += (chunk as Buffer).length;
        if (total > maxConfigBytes) {
          stream.destroy();
          return null;
        }
        chunks.push(chunk as Buffer);
      }
      const doc: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Json) : null;
    } catch {
      // A config that cannot be read or parsed only leaves the display fields empty.
      return null;
    }
  }
}

/** Harbor's `extra_attrs` of an image: architecture, os, the container config, created and author. */
export function imageExtraAttrs(config: Json): Json {
  const inner = (config.config ?? null) as Json | null;
  const labels = (inner?.Labels ?? null) as Record<string, unknown> | null;
  // Harbor falls back to the OCI authors annotation or the deprecated MAINTAINER label.
  let author = typeof config.author === 'string' ? config.author : '';
  if (!author && labels) {
    for (const key of ['org.opencontainers.image.authors', 'maintainer']) {
      if (typeof labels[key] === 'string' && labels[key]) {
        author = labels[key] as string;
        break;
      }
    }
  }
  return { architecture: config.architecture ?? '', os: config.os ?? '', config: inner ?? {}, created: config.created ?? null, author };
}
