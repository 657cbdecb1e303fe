import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { decompressLayer } from '../inventory/decompress.ts';
import { walkTar } from '../inventory/tar-walk.ts';

/** One JSON document of a bundle, named for error messages. */
export interface BundleDocument {
  name: string;
  doc: unknown;
}

/** A source that cannot be read at all (missing, unreachable, not a bundle). */
export class AdvisorySourceError extends Error {
  override name = 'AdvisorySourceError';
}

const maxDocumentBytes = 16 << 20;
const maxBundleBytes = 16 * 1024 ** 3;

function parseDocument(name: string, text: Buffer): BundleDocument[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.toString('utf8'));
  } catch (err) {
    return [{ name, doc: new Error(`${name}: not JSON (${(err as Error).message})`) }];
  }
  // Some exports hold many advisories in one file.
  return Array.isArray(doc) ? doc.map((d, i) => ({ name: `${name}[${i}]`, doc: d })) : [{ name, doc }];
}

async function* directoryDocuments(dir: string): AsyncGenerator<BundleDocument> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => path.join(e.parentPath, e.name));
  files.sort();
  for (const file of files) {
    const { size } = await stat(file);
    const name = path.relative(dir, file);
    if (size > maxDocumentBytes) {
      yield { name, doc: new Error(`${name}: ${size} bytes is larger than an advisory may be`) };
      continue;
    }
    yield* parseDocument(name, await readFile(file));
  }
}

async function* tarDocuments(bytes: AsyncIterable<Buffer>): AsyncGenerator<BundleDocument> {
  for await (const entry of walkTar(decompressLayer(bytes, maxBundleBytes))) {
    if (entry.type !== 'file' || !entry.name.endsWith('.json')) continue;
    if (entry.size > maxDocumentBytes) {
      yield { name: entry.name, doc: new Error(`${entry.name}: ${entry.size} bytes is larger than an advisory may be`) };
      continue;
    }
    yield* parseDocument(entry.name, await entry.read());
  }
}

/**
 * The `.json` entries of a zip (OSV publishes each ecosystem as `all.zip`), read through its central directory one
 * entry at a time; an entry is inflated only when it is read, and its declared size is checked first.
 */
async function* zipDocuments(file: string): AsyncGenerator<BundleDocument> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (err, z) => (err ? reject(err) : resolve(z))));
  } catch (err) {
    throw new AdvisorySourceError(`${file} is not a readable zip: ${(err as Error).message}`);
  }
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e));
        const onEnd = () => (cleanup(), resolve(null));
        const onError = (err: Error) => (cleanup(), reject(new AdvisorySourceError(`${file}: ${err.message}`)));
        const cleanup = () => zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
        zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
        zip.readEntry();
      });
      if (!entry) return;
      if (entry.fileName.endsWith('/') || !entry.fileName.endsWith('.json')) continue;
      if (entry.uncompressedSize > maxDocumentBytes) {
        yield { name: entry.fileName, doc: new Error(`${entry.fileName}: ${entry.uncompressedSize} bytes is larger than an advisory may be`) };
        continue;
      }
      let text: Buffer;
      try {
        const chunks: Buffer[] = [];
        for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
        text = Buffer.concat(chunks);
      } catch (err) {
        yield { name: entry.fileName, doc: new Error(`${entry.fileName}: ${(err as Error).message}`) };
        continue;
      }
      yield* parseDocument(entry.fileName, text);
    }
  } finally {
    zip.close();
  }
}

async function* urlDocuments(url: string, signal?: AbortSignal): AsyncGenerator<BundleDocument> {
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ?? null, redirect: 'follow' });
  } catch (err) {
    throw new AdvisorySourceError(`${url} could not be fetched: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new AdvisorySourceError(`${url} answered ${res.status}`);
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  if (!/\.zip(\?|$)/i.test(new URL(url).pathname) && !/zip/i.test(res.headers.get('content-type') ?? '')) {
    yield* tarDocuments(body as AsyncIterable<Buffer>);
    return;
  }
  // A zip is read from its end (the central directory): it is downloaded to a private file first.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-osv-'));
  try {
    const file = path.join(dir, 'bundle.zip');
    await pipeline(body, createWriteStream(file, { mode: 0o600 }), { signal: signal ?? new AbortController().signal });
    yield* zipDocuments(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The advisories of a bundle: a directory of OSV `.json` files (searched recursively), a `.tar`, `.tar.gz`,
 * `.tar.zst` or `.zip` of them (OSV's own `all.zip` exports), or an `http(s)://` URL of such an archive. Documents are yielded one at a time (an
 * unparsable one as an Error, so one bad file does not sink the rest); archives stream and are never unpacked.
 */
export async function* bundleDocuments(source: string, signal?: AbortSignal): AsyncGenerator<BundleDocument> {
  if (/^https?:\/\//i.test(source)) {
    yield* urlDocuments(source, signal);
    return;
  }
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new AdvisorySourceError(`${source} does not exist`);
  }
  if (info.isDirectory()) yield* directoryDocuments(source);
  else if (/\.zip$/i.test(source)) yield* zipDocuments(source);
  else yield* tarDocuments(createReadStream(source, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>);
}
