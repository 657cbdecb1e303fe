/**
 * Reads an RPM header blob, the form in which rpmdb stores each installed package: big-endian int32 index
 * entry count `il`, int32 data store length `dl`, `il` index entries of 16 bytes {tag, type, offset, count},
 * then `dl` bytes of data. A header taken from a package file carries an 8-byte header magic in front; that
 * form is accepted too.
 *
 * Every index entry is checked against the data store before anything is read, so a malformed blob fails with
 * an Error naming what is wrong rather than reading out of range. All loops are bounded by the blob's length.
 */

export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

export const RPM_TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

/** The 8 bytes that precede a header in a package file: magic `8e ad e8`, version 1, 4 reserved bytes. */
export const RPM_HEADER_MAGIC: readonly number[] = [0x8e, 0xad, 0xe8, 0x01, 0x00, 0x00, 0x00, 0x00];

/** The package fields Berth reads out of a header. */
export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  license?: string;
  /** `name-version-release.src.rpm`; absent for source packages and gpg-pubkey pseudo-packages. */
  sourceRpm?: string;
  vendor?: string;
}

/** One index entry, already checked against the data store. */
export interface RpmHeaderEntry {
  tag: number;
  type: number;
  /** Offset into the data store. */
  offset: number;
  count: number;
}

/** rpm's own limits (rpmlib's HEADER_TAGS_MAX / HEADER_DATA_MAX): larger claims are corrupt, not big. */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_LENGTH = 256 * 1024 * 1024;
const INDEX_ENTRY_SIZE = 16;
const PREAMBLE_SIZE = 8;

/** Bytes per element of the fixed-size types. */
const FIXED_SIZE: Record<number, number> = {
  [RPM_TYPE.NULL]: 0,
  [RPM_TYPE.CHAR]: 1,
  [RPM_TYPE.INT8]: 1,
  [RPM_TYPE.INT16]: 2,
  [RPM_TYPE.INT32]: 4,
  [RPM_TYPE.INT64]: 8,
  [RPM_TYPE.BIN]: 1,
};

function isStringType(type: number): boolean {
  return type === RPM_TYPE.STRING || type === RPM_TYPE.STRING_ARRAY || type === RPM_TYPE.I18NSTRING;
}

function fail(message: string): never {
  throw new Error(`malformed rpm header: ${message}`);
}

/** A parsed header: the validated index plus typed readers over the data store. */
export class RpmHeaderBlob {
  readonly entries: readonly RpmHeaderEntry[];
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  /** Start of the data store within `bytes`. */
  private readonly dataStart: number;
  private readonly dataLength: number;
  private readonly byTag = new Map<number, RpmHeaderEntry>();

  constructor(blob: Uint8Array) {
    let start = 0;
    if (blob.length >= RPM_HEADER_MAGIC.length && RPM_HEADER_MAGIC.every((b, i) => blob[i] === b)) {
      start = RPM_HEADER_MAGIC.length;
    }
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    if (blob.length - start < PREAMBLE_SIZE) {
      fail(`blob is ${blob.length} bytes, too short for the index and data lengths`);
    }
    const il = view.getUint32(start);
    const dl = view.getUint32(start + 4);
    if (il === 0) fail('index has no entries');
    if (il > MAX_INDEX_ENTRIES) fail(`index claims ${il} entries (more than rpm allows, ${MAX_INDEX_ENTRIES})`);
    if (dl > MAX_DATA_LENGTH) fail(`data store claims ${dl} bytes (more than rpm allows, ${MAX_DATA_LENGTH})`);
    const indexStart = start + PREAMBLE_SIZE;
    const dataStart = indexStart + il * INDEX_ENTRY_SIZE;
    const needed = dataStart + dl;
    if (needed > blob.length) {
      fail(`truncated: ${il} index entries and ${dl} data bytes need ${needed} bytes, blob has ${blob.length}`);
    }
    this.view = view;
    this.bytes = blob;
    this.dataStart = dataStart;
    this.dataLength = dl;

    const entries: RpmHeaderEntry[] = [];
    for (let i = 0; i < il; i++) {
      const at = indexStart + i * INDEX_ENTRY_SIZE;
      const entry: RpmHeaderEntry = {
        tag: view.getUint32(at),
        type: view.getUint32(at + 4),
        offset: view.getInt32(at + 8),
        count: view.getUint32(at + 12),
      };
      this.check(entry, i);
      entries.push(entry);
      // The first occurrence wins, as in rpm.
      if (!this.byTag.has(entry.tag)) this.byTag.set(entry.tag, entry);
    }
    this.entries = entries;
  }

  /** Checks one index entry's type, offset and count against the data store. */
  private check(entry: RpmHeaderEntry, index: number): void {
    const where = `index entry ${index} (tag ${entry.tag})`;
    const { type, offset, count } = entry;
    if (type > RPM_TYPE.I18NSTRING) fail(`${where} has unknown type ${type}`);
    if (offset < 0 || offset > this.dataLength) {
      fail(`${where} offset ${offset} is outside the ${this.dataLength}-byte data store`);
    }
    if (isStringType(type)) {
      if (count === 0) fail(`${where} is a string entry with count 0`);
      if (type === RPM_TYPE.STRING && count !== 1) fail(`${where} is a STRING with count ${count}, not 1`);
      // Each string needs at least its NUL, so a count beyond the remaining bytes cannot be satisfied.
      if (count > this.dataLength - offset) {
        fail(`${where} claims ${count} strings at offset ${offset}, beyond the ${this.dataLength}-byte data store`);
      }
      let pos = offset;
      for (let n = 0; n < count; n++) pos = this.stringEnd(pos, where) + 1;
      return;
    }
    const size = FIXED_SIZE[type] ?? 0;
    // count * size stays well inside double precision (count < 2^32, size <= 8).
    if (offset + count * size > this.dataLength) {
      fail(`${where} has ${count} values of ${size} bytes at offset ${offset}, beyond the ${this.dataLength}-byte data store`);
    }
  }

  /** Offset (in the data store) of the NUL ending the string that starts at `pos`. */
  private stringEnd(pos: number, where: string): number {
    const from = this.dataStart + pos;
    const to = this.dataStart + this.dataLength;
    const nul = from < to ? this.bytes.subarray(from, to).indexOf(0) : -1;
    if (nul < 0) fail(`${where} has a string at offset ${pos} with no NUL before the end of the data store`);
    return pos + nul;
  }

  entry(tag: number): RpmHeaderEntry | undefined {
    return this.byTag.get(tag);
  }

  /** All strings of a STRING, STRING_ARRAY or I18NSTRING entry; undefined when the tag is absent. */
  strings(tag: number): string[] | undefined {
    const entry = this.byTag.get(tag);
    if (entry === undefined) return undefined;
    if (!isStringType(entry.type)) fail(`tag ${tag} has type ${entry.type}, not a string type`);
    const out: string[] = [];
    let pos = entry.offset;
    for (let n = 0; n < entry.count; n++) {
      const end = this.stringEnd(pos, `tag ${tag}`);
      out.push(Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.dataStart + pos, end - pos).toString('utf8'));
      pos = end + 1;
    }
    return out;
  }

  /** The first string of a string entry (for I18NSTRING, the default locale's). */
  string(tag: number): string | undefined {
    return this.strings(tag)?.[0];
  }

  /** The values of an INT8/INT16/INT32/CHAR entry, unsigned; undefined when the tag is absent. */
  ints(tag: number): number[] | undefined {
    const entry = this.byTag.get(tag);
    if (entry === undefined) return undefined;
    const at = this.dataStart + entry.offset;
    const out: number[] = [];
    for (let n = 0; n < entry.count; n++) {
      switch (entry.type) {
        case RPM_TYPE.CHAR:
        case RPM_TYPE.INT8:
          out.push(this.view.getUint8(at + n));
          break;
        case RPM_TYPE.INT16:
          out.push(this.view.getUint16(at + n * 2));
          break;
        case RPM_TYPE.INT32:
          out.push(this.view.getUint32(at + n * 4));
          break;
        default:
          fail(`tag ${tag} has type ${entry.type}, not an integer type`);
      }
    }
    return out;
  }
}

/** Parses a header blob and extracts the package fields; throws an Error for malformed input or missing NAME/VERSION/RELEASE. */
export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  const header = new RpmHeaderBlob(blob);
  const required = (tag: number, label: string): string => {
    const value = header.string(tag);
    if (value === undefined || value === '') fail(`no ${label} (tag ${tag})`);
    return value;
  };
  const result: RpmHeader = {
    name: required(RPM_TAG.NAME, 'NAME'),
    version: required(RPM_TAG.VERSION, 'VERSION'),
    release: required(RPM_TAG.RELEASE, 'RELEASE'),
  };
  const epochs = header.ints(RPM_TAG.EPOCH);
  if (epochs !== undefined) {
    const epoch = epochs[0];
    if (epoch === undefined) fail(`EPOCH (tag ${RPM_TAG.EPOCH}) has no value`);
    result.epoch = epoch;
  }
  const optional: Array<[number, 'arch' | 'license' | 'sourceRpm' | 'vendor']> = [
    [RPM_TAG.ARCH, 'arch'],
    [RPM_TAG.LICENSE, 'license'],
    [RPM_TAG.SOURCERPM, 'sourceRpm'],
    [RPM_TAG.VENDOR, 'vendor'],
  ];
  for (const [tag, key] of optional) {
    const value = header.string(tag);
    if (value !== undefined && value !== '') result[key] = value;
  }
  return result;
}
