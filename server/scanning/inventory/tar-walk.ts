import { isZeroBlock, parsePaxRecords, parseTarHeader, tarBlock, tarPadding, cString, type TarEntryType } from '../../core/tar-header.ts';

/** A layer that cannot be read: corrupt, truncated or hostile. The message says which and where. */
export class LayerFormatError extends Error {
  override name = 'LayerFormatError';
}

/** The stream ended in the middle of a header or an entry. */
class TruncatedError extends LayerFormatError {}

export interface TarWalkEntry {
  /** The entry's name as written (PAX and GNU long names applied), not yet normalised. */
  name: string;
  type: TarEntryType;
  mode: number;
  size: number;
  linkName: string;
  /** Reads the entry's content whole. Only for entries the caller chose to read; call before the next entry. */
  read(): Promise<Buffer>;
}

/**
 * Pulls bytes from a stream of chunks without copying them more than once: headers are sliced out of the chunk
 * they sit in, skipped content is dropped chunk by chunk, and only content that is read gets concatenated.
 */
class ChunkReader {
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Bytes consumed so far (for error messages). */
  position = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    while (this.offset >= this.chunk.length) {
      const next = await this.source.next();
      if (next.done) return false;
      this.chunk = next.value;
      this.offset = 0;
    }
    return true;
  }

  /** Exactly `n` bytes, or null at a clean end of stream; a stream ending part-way through is truncation. */
  async take(n: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    if (this.chunk.length - this.offset >= n) {
      const out = this.chunk.subarray(this.offset, this.offset + n);
      this.offset += n;
      this.position += n;
      return out;
    }
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new TruncatedError(`the layer's tar stream is truncated at byte ${this.position}`);
      const part = this.chunk.subarray(this.offset, this.offset + left);
      parts.push(part);
      this.offset += part.length;
      this.position += part.length;
      left -= part.length;
    }
    return Buffer.concat(parts, n);
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new LayerFormatError(`the layer's tar stream is truncated at byte ${this.position} (an entry claims ${n} bytes)`);
      const step = Math.min(left, this.chunk.length - this.offset);
      this.offset += step;
      this.position += step;
      left -= step;
    }
  }
}

/**
 * Walks a tar stream entry by entry. An entry's content is read only if the consumer asks for it; otherwise it is
 * skipped as it streams past, so a layer is never held in memory or written to disk. Extension headers (PAX,
 * GNU long names) are folded into the entry they describe.
 */
export async function* walkTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarWalkEntry> {
  const reader = new ChunkReader(source[Symbol.asyncIterator]());
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  let globalPax = new Map<string, string>();
  for (;;) {
    let block: Buffer | null;
    try {
      block = await reader.take(tarBlock);
    } catch (err) {
      // Not even one header: whatever this is, it is not a tar archive (a bare file, a wrong media type).
      if (err instanceof TruncatedError && reader.position < tarBlock) throw new LayerFormatError(`the layer is not a tar archive: it ends after ${reader.position} bytes, before its first header`);
      throw err;
    }
    if (!block) return; // end of stream without the two zero blocks: accepted, as GNU tar does.
    if (isZeroBlock(block)) return;
    let header;
    try {
      header = parseTarHeader(block);
    } catch (err) {
      throw new LayerFormatError(`the layer is not a valid tar stream: ${(err as Error).message} at byte ${reader.position - tarBlock}`);
    }
    const size = pax?.has('size') ? Number(pax.get('size')) : header.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new LayerFormatError(`an entry at byte ${reader.position - tarBlock} has an invalid size`);
    if (header.type === 'pax' || header.type === 'pax-global' || header.type === 'gnu-longname' || header.type === 'gnu-longlink') {
      if (size > 1 << 20) throw new LayerFormatError(`an extended header of ${size} bytes at byte ${reader.position - tarBlock} is larger than any real one`);
      const data = (await reader.take(size)) ?? Buffer.alloc(0);
      if (data.length < size) throw new LayerFormatError(`the layer's tar stream is truncated at byte ${reader.position}`);
      await reader.skip(tarPadding(size));
      if (header.type === 'pax') pax = parsePaxRecords(data);
      else if (header.type === 'pax-global') globalPax = parsePaxRecords(data);
      else if (header.type === 'gnu-longname') longName = cString(data, 0, data.length);
      else longLink = cString(data, 0, data.length);
      continue;
    }
    const name = pax?.get('path') ?? longName ?? globalPax.get('path') ?? header.name;
    const linkName = pax?.get('linkpath') ?? longLink ?? header.linkName;
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    // Only regular files have content in the stream; a hard link's or directory's size field is ignored.
    const contentSize = header.type === 'file' || header.type === 'other' ? size : 0;
    let consumed = false;
    const entry: TarWalkEntry = {
      name,
      type: header.type,
      mode: header.mode,
      size: contentSize,
      linkName,
      read: async () => {
        if (consumed) throw new Error('an entry is read once');
        consumed = true;
        const data = contentSize === 0 ? Buffer.alloc(0) : await reader.take(contentSize);
        if (!data) throw new LayerFormatError(`the layer's tar stream is truncated at byte ${reader.position}`);
        await reader.skip(tarPadding(contentSize));
        return Buffer.from(data); // a copy: the slice would pin the whole decompressed chunk
      },
    };
    yield entry;
    if (!consumed) {
      consumed = true;
      await reader.skip(contentSize + tarPadding(contentSize));
    }
  }
}
