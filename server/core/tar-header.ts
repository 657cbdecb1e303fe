/**
 * The tar header format (ustar, with GNU and PAX extensions), shared by the client's seek-based archive index and
 * the scanner's streaming layer reader: one reading of the format, not two.
 */

export const tarBlock = 512;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'directory' | 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink' | 'other';

export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  type: TarEntryType;
  linkName: string;
}

/** A header that cannot be a tar header (its checksum is wrong): the archive is corrupt or not a tar. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

function numeric(buf: Buffer, start: number, length: number): number {
  const field = buf.subarray(start, start + length);
  // GNU base-256 for values past the octal field's range (sizes over 8 GiB): the top bit of the first byte is set.
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  let n = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === 0 || c === 0x20) {
      if (n > 0 || field.subarray(i).some((b) => b !== 0 && b !== 0x20)) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) throw new TarFormatError(`a numeric header field holds ${JSON.stringify(String.fromCharCode(c))}`);
    n = n * 8 + (c - 0x30);
  }
  return n;
}

export const cString = (buf: Buffer, start: number, length: number): string => {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
};

const types: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'directory',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-longname',
  K: 'gnu-longlink',
};

/** Whether the 512-byte block is all zeros (two of them end an archive). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses one 512-byte header block, checking its checksum. */
export function parseTarHeader(block: Buffer): TarHeader {
  const checksum = numeric(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < tarBlock; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (sum !== checksum) throw new TarFormatError('bad header checksum');
  const prefix = block.subarray(257, 263).toString('latin1').startsWith('ustar') ? cString(block, 345, 155) : '';
  const base = cString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${base}` : base,
    mode: numeric(block, 100, 8),
    size: numeric(block, 124, 12),
    type: types[String.fromCharCode(block[156]!)] ?? 'other',
    linkName: cString(block, 157, 100),
  };
}

/** The records of a PAX extended header (`path`, `linkpath`, `size` ...). */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!(len > 0) || i + len > data.length) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return records;
}

/** Bytes of padding after an entry's content, up to the next block. */
export const tarPadding = (size: number): number => (tarBlock - (size % tarBlock)) % tarBlock;
