import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
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

async function* urlDocuments(url: string, signal?: AbortSignal): AsyncGenerator<BundleDocument> {
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ?? null, redirect: 'follow' });
  } catch (err) {
    throw new AdvisorySourceError(`${url} could not be fetched: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new AdvisorySourceError(`${url} answered ${res.status}`);
  yield* tarDocuments(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) as AsyncIterable<Buffer>);
}

/**
 * The advisories of a bundle: a directory of OSV `.json` files (searched recursively), a `.tar`, `.tar.gz` or
 * `.tar.zst` of them, or an `http(s)://` URL of such an archive. Documents are yielded one at a time (an
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
  else if (/\.zip$/i.test(source)) throw new AdvisorySourceError(`${source}: zip bundles are not read; unpack it into a directory or repack it as .tar.gz`);
  else yield* tarDocuments(createReadStream(source, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>);
}
