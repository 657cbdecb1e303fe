import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hexOf } from './digest.ts';
import { ClientError } from './errors.ts';
import { collect, type Descriptor, type ImageSource, type ManifestBytes } from './image.ts';
import type { RegistryClient } from './registry-client.ts';

export type BlobStatus = 'exists' | 'mounted' | 'transferring' | 'done';

export type TransferEvent =
  | { type: 'plan'; blobs: number; bytes: number }
  | { type: 'blob'; digest: string; size: number; status: BlobStatus; from?: string }
  | { type: 'bytes'; digest: string; bytes: number }
  | { type: 'manifest'; digest: string; reference: string };

export interface TransferOptions {
  /** Blobs moved at once (the default, 3, is what docker and skopeo use). */
  concurrency?: number;
  onEvent?: (e: TransferEvent) => void;
  /** Repositories of the target registry that hold a blob already, to mount it from rather than upload it. */
  mountFrom?: (digest: string) => string[];
}

export interface TransferResult {
  digest: string;
  mediaType: string;
  /** Where it went: `repo:tag`, `repo@digest` or a layout path. */
  reference: string;
  blobs: { total: number; transferred: number; mounted: number; existing: number };
  bytesTransferred: number;
  manifests: number;
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure stops new work and is thrown. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}

/** A pass-through that reports bytes as they go by. */
function counting(digest: string, onEvent?: (e: TransferEvent) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onEvent?.({ type: 'bytes', digest, bytes: chunk.length });
      done(null, chunk);
    },
  });
}

const sizeLimit = (d: Descriptor): void => {
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw new ClientError('invalid', `descriptor ${d.digest} has an impossible size ${d.size}`);
};

/**
 * Pushes an image (every manifest of an index, every blob once) into a repository: a blob the repository has is
 * skipped, one another repository of the registry has is mounted, the rest are uploaded `concurrency` at a time,
 * each streamed from the source. Child manifests go by digest, then the root under the tag (or its digest).
 */
export async function pushImage(source: ImageSource, target: { client: RegistryClient; repository: string; tag?: string }, options: TransferOptions = {}): Promise<TransferResult> {
  const { client, repository } = target;
  const emit = options.onEvent;
  const root = await source.root();
  const { manifests, blobs } = await collect(source, root);
  blobs.forEach(sizeLimit);
  emit?.({ type: 'plan', blobs: blobs.length, bytes: blobs.reduce((n, b) => n + b.size, 0) });
  const counts = { total: blobs.length, transferred: 0, mounted: 0, existing: 0 };
  let bytes = 0;
  await inParallel(blobs, options.concurrency ?? 3, async (blob) => {
    if ((await client.blobSize(repository, blob.digest)) !== undefined) {
      counts.existing++;
      emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'exists' });
      return;
    }
    const candidates = [...new Set([source.mountCandidate?.(client.url), ...(options.mountFrom?.(blob.digest) ?? [])])].filter((r): r is string => !!r && r !== repository);
    for (const from of candidates) {
      if (await client.mountBlob(repository, blob.digest, from)) {
        counts.mounted++;
        emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'mounted', from });
        return;
      }
    }
    emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'transferring' });
    const stream = (await source.openBlob(blob)).pipe(counting(blob.digest, emit));
    await client.uploadBlob(repository, blob.digest, blob.size, stream);
    counts.transferred++;
    bytes += blob.size;
    emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'done' });
  });
  for (const m of manifests) {
    const isRoot = m.digest === root.digest;
    const reference = isRoot && target.tag ? target.tag : m.digest;
    await client.putManifest(repository, reference, m.bytes, m.mediaType);
    emit?.({ type: 'manifest', digest: m.digest, reference });
  }
  await source.close?.();
  return { digest: root.digest, mediaType: root.mediaType, reference: target.tag ? `${repository}:${target.tag}` : `${repository}@${root.digest}`, blobs: counts, bytesTransferred: bytes, manifests: manifests.length };
}

/** Writes a stream into `file` through a temporary name, checking its digest; nothing half-written stays. */
async function writeVerified(stream: Readable, file: string, digest: string, onChunk?: (n: number) => void): Promise<number> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const hash = createHash('sha256');
  let size = 0;
  const fh = await open(tmp, 'w');
  try {
    await pipeline(
      stream,
      new Transform({
        transform(chunk: Buffer, _e, done) {
          hash.update(chunk);
          size += chunk.length;
          onChunk?.(chunk.length);
          done(null, chunk);
        },
      }),
      fh.createWriteStream(),
    );
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== digest) throw new ClientError('server', `blob ${digest} arrived as ${got}; not stored`);
    await rename(tmp, file);
    return size;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function writeAtomically(file: string, bytes: Buffer | string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

/**
 * Pulls an image into an OCI image layout directory (created if absent, added to if present): blobs it holds with
 * the right size are kept, the rest are downloaded, hashed on the way in and renamed into place only when their
 * digest is right. index.json names the image by `tag` (org.opencontainers.image.ref.name), replacing an entry of
 * that name.
 */
export async function pullToLayout(source: ImageSource, dir: string, tag: string | undefined, options: TransferOptions = {}): Promise<TransferResult> {
  const emit = options.onEvent;
  const blobDir = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  await writeAtomically(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const root = await source.root();
  const { manifests, blobs } = await collect(source, root);
  blobs.forEach(sizeLimit);
  emit?.({ type: 'plan', blobs: blobs.length, bytes: blobs.reduce((n, b) => n + b.size, 0) });
  const counts = { total: blobs.length, transferred: 0, mounted: 0, existing: 0 };
  let bytes = 0;
  await inParallel(blobs, options.concurrency ?? 3, async (blob) => {
    const file = path.join(blobDir, hexOf(blob.digest));
    const have = await stat(file).catch(() => undefined);
    if (have?.size === blob.size) {
      counts.existing++;
      emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'exists' });
      return;
    }
    emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'transferring' });
    bytes += await writeVerified(await source.openBlob(blob), file, blob.digest, (n) => emit?.({ type: 'bytes', digest: blob.digest, bytes: n }));
    counts.transferred++;
    emit?.({ type: 'blob', digest: blob.digest, size: blob.size, status: 'done' });
  });
  for (const m of manifests) {
    await writeAtomically(path.join(blobDir, hexOf(m.digest)), m.bytes);
    emit?.({ type: 'manifest', digest: m.digest, reference: m.digest });
  }
  const indexFile = path.join(dir, 'index.json');
  const index = await readFile(indexFile, 'utf8').then((t) => JSON.parse(t) as { manifests?: Descriptor[] }, () => ({ manifests: [] as Descriptor[] }));
  const refName = 'org.opencontainers.image.ref.name';
  const others = (index.manifests ?? []).filter((d) => (tag ? d.annotations?.[refName] !== tag : d.digest !== root.digest));
  const entry: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.bytes.length, ...(tag ? { annotations: { [refName]: tag } } : {}) };
  await writeAtomically(indexFile, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [...others, entry] }, null, 2));
  await source.close?.();
  return { digest: root.digest, mediaType: root.mediaType, reference: `${dir}${tag ? `:${tag}` : ''}`, blobs: counts, bytesTransferred: bytes, manifests: manifests.length };
}

export type { ManifestBytes };
