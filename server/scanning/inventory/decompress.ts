import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import { LayerFormatError } from './tar-walk.ts';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** The compression a layer's first bytes announce (media types lie more often than magic numbers do). */
export function sniffCompression(head: Buffer): LayerCompression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

async function* gunzip(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const source = Readable.from(chunks, { objectMode: false });
  const inflate = zlib.createGunzip({ chunkSize: 256 * 1024 });
  // pipe() carries backpressure both ways; a failing source fails the inflater's stream too.
  source.on('error', (err) => inflate.destroy(err));
  source.pipe(inflate);
  try {
    for await (const out of inflate) yield out as Buffer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new LayerFormatError(`the layer is not valid gzip: ${(err as Error).message}`);
    throw err;
  } finally {
    source.destroy();
    inflate.destroy();
  }
}

// fzstd is pure JavaScript and synchronous per chunk; Node 20's zlib has no zstd (it arrives in 22.15).
async function* unzstd(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const stream = new ZstdStream((data) => out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  try {
    for await (const c of chunks) {
      stream.push(c);
      if (out.length) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
    stream.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof LayerFormatError) throw err;
    throw new LayerFormatError(`the layer is not valid zstd: ${(err as Error).message}`);
  }
  yield* out;
}

/**
 * The layer's tar bytes, decompressed as they stream, with a ceiling on how much a layer may expand to: a
 * decompression bomb or a layer claiming terabytes fails with a reason instead of running forever.
 */
export async function* decompressLayer(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new LayerFormatError('the layer is empty');
  const head = first.value;
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => {
      let sentHead = false;
      return {
        next: async () => (sentHead ? it.next() : ((sentHead = true), { done: false, value: head })),
        return: async () => (await it.return?.(), { done: true, value: undefined }),
      };
    },
  };
  const kind = sniffCompression(head);
  const stream = kind === 'gzip' ? gunzip(rest) : kind === 'zstd' ? unzstd(rest) : rest;
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > maxBytes) throw new LayerFormatError(`the layer expands past ${maxBytes} bytes, the scanner's limit`);
    yield chunk;
  }
}
