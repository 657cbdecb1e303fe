import { describe, expect, it } from 'vitest';
import { RPM_HEADER_MAGIC, RPM_TAG, RPM_TYPE, RpmHeaderBlob, parseRpmHeader } from './rpm-header.ts';

type Value = { type: number; strings?: string[]; ints?: number[]; bytes?: number[] };
type Entry = { tag: number } & Value;

/** Builds an rpmdb-style header blob: il, dl, index entries, data store (int32 values 4-aligned, as rpm does). */
function buildHeader(entries: Entry[]): Buffer {
  const data: number[] = [];
  const index: Buffer[] = [];
  for (const e of entries) {
    const size = e.type === RPM_TYPE.INT16 ? 2 : e.type === RPM_TYPE.INT32 ? 4 : e.type === RPM_TYPE.INT64 ? 8 : 1;
    while (data.length % size !== 0) data.push(0);
    const offset = data.length;
    let count: number;
    if (e.strings !== undefined) {
      for (const s of e.strings) data.push(...Buffer.from(s, 'utf8'), 0);
      count = e.strings.length;
    } else if (e.ints !== undefined) {
      for (const n of e.ints) {
        const b = Buffer.alloc(size);
        if (size === 1) b.writeUInt8(n);
        else if (size === 2) b.writeUInt16BE(n);
        else b.writeUInt32BE(n);
        data.push(...b);
      }
      count = e.ints.length;
    } else {
      data.push(...(e.bytes ?? []));
      count = e.bytes?.length ?? 0;
    }
    const ie = Buffer.alloc(16);
    ie.writeUInt32BE(e.tag, 0);
    ie.writeUInt32BE(e.type, 4);
    ie.writeUInt32BE(offset, 8);
    ie.writeUInt32BE(count, 12);
    index.push(ie);
  }
  const pre = Buffer.alloc(8);
  pre.writeUInt32BE(entries.length, 0);
  pre.writeUInt32BE(data.length, 4);
  return Buffer.concat([pre, ...index, Buffer.from(data)]);
}

const str = (tag: number, s: string): Entry => ({ tag, type: RPM_TYPE.STRING, strings: [s] });

function packageHeader(fields: {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  license?: string;
  sourceRpm?: string;
  vendor?: string;
}): Buffer {
  const entries: Entry[] = [
    str(RPM_TAG.NAME, fields.name),
    str(RPM_TAG.VERSION, fields.version),
    str(RPM_TAG.RELEASE, fields.release),
    // A summary in I18N form and an int16 array, so the parser must step over other types.
    { tag: 1004, type: RPM_TYPE.I18NSTRING, strings: ['summary', 'Zusammenfassung'] },
    { tag: 1030, type: RPM_TYPE.INT16, ints: [0o100644, 0o40755] },
  ];
  if (fields.epoch !== undefined) entries.push({ tag: RPM_TAG.EPOCH, type: RPM_TYPE.INT32, ints: [fields.epoch] });
  if (fields.arch !== undefined) entries.push(str(RPM_TAG.ARCH, fields.arch));
  if (fields.license !== undefined) entries.push(str(RPM_TAG.LICENSE, fields.license));
  if (fields.sourceRpm !== undefined) entries.push(str(RPM_TAG.SOURCERPM, fields.sourceRpm));
  if (fields.vendor !== undefined) entries.push(str(RPM_TAG.VENDOR, fields.vendor));
  return buildHeader(entries);
}

/** Overwrites one 32-bit field of index entry `i` (0 tag, 1 type, 2 offset, 3 count). */
function patchEntry(blob: Buffer, i: number, field: number, value: number): Buffer {
  const copy = Buffer.from(blob);
  copy.writeUInt32BE(value >>> 0, 8 + i * 16 + field * 4);
  return copy;
}

const sample = packageHeader({
  name: 'openssl-libs',
  version: '3.0.7',
  release: '27.el9',
  epoch: 1,
  arch: 'x86_64',
  license: 'ASL 2.0',
  sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
  vendor: 'Rocky Enterprise Software Foundation',
});

describe('parseRpmHeader', () => {
  it('reads the package fields', () => {
    expect(parseRpmHeader(sample)).toEqual({
      name: 'openssl-libs',
      version: '3.0.7',
      release: '27.el9',
      epoch: 1,
      arch: 'x86_64',
      license: 'ASL 2.0',
      sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
      vendor: 'Rocky Enterprise Software Foundation',
    });
  });

  it('leaves out absent optional fields, including the epoch', () => {
    expect(parseRpmHeader(packageHeader({ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b' }))).toEqual({
      name: 'gpg-pubkey',
      version: 'fd431d51',
      release: '4ae0493b',
    });
  });

  it('keeps an explicit epoch 0 and reads large unsigned epochs', () => {
    expect(parseRpmHeader(packageHeader({ name: 'a', version: '1', release: '1', epoch: 0 })).epoch).toBe(0);
    expect(parseRpmHeader(packageHeader({ name: 'a', version: '1', release: '1', epoch: 0xfffffffe })).epoch).toBe(
      0xfffffffe,
    );
  });

  it('accepts the 8-byte header magic in front', () => {
    const withMagic = Buffer.concat([Buffer.from(RPM_HEADER_MAGIC), sample]);
    expect(parseRpmHeader(withMagic)).toEqual(parseRpmHeader(sample));
  });

  it('reads a header that sits inside a larger buffer (non-zero byteOffset)', () => {
    const big = Buffer.concat([Buffer.alloc(13, 0xff), sample]);
    expect(parseRpmHeader(big.subarray(13)).name).toBe('openssl-libs');
  });

  it('decodes UTF-8 strings', () => {
    expect(parseRpmHeader(packageHeader({ name: 'x', version: '1', release: '1', vendor: 'Zürich GmbH' })).vendor).toBe(
      'Zürich GmbH',
    );
  });

  it('exposes the strings of array entries', () => {
    const h = new RpmHeaderBlob(sample);
    expect(h.strings(1004)).toEqual(['summary', 'Zusammenfassung']);
    expect(h.ints(1030)).toEqual([0o100644, 0o40755]);
    expect(h.string(99999)).toBeUndefined();
  });

  describe('malformed blobs', () => {
    it('rejects a blob too short for the preamble', () => {
      expect(() => parseRpmHeader(new Uint8Array(0))).toThrow(/malformed rpm header: blob is 0 bytes, too short/);
      expect(() => parseRpmHeader(new Uint8Array(7))).toThrow(/too short/);
      expect(() => parseRpmHeader(Buffer.from(RPM_HEADER_MAGIC))).toThrow(/too short/);
    });

    it('rejects a truncated index or data store', () => {
      expect(() => parseRpmHeader(sample.subarray(0, 8 + 16 * 3))).toThrow(/malformed rpm header: truncated: \d+ index entries/);
      expect(() => parseRpmHeader(sample.subarray(0, sample.length - 1))).toThrow(/truncated/);
    });

    it('rejects every truncation of a valid blob with an Error, never out-of-range reads', () => {
      for (let len = 0; len < sample.length; len++) {
        expect(() => parseRpmHeader(sample.subarray(0, len))).toThrow(/malformed rpm header/);
      }
    });

    it('rejects absurd index and data lengths', () => {
      const bigIl = Buffer.from(sample);
      bigIl.writeUInt32BE(0xffffffff, 0);
      expect(() => parseRpmHeader(bigIl)).toThrow(/index claims 4294967295 entries/);
      const bigDl = Buffer.from(sample);
      bigDl.writeUInt32BE(0x7fffffff, 4);
      expect(() => parseRpmHeader(bigDl)).toThrow(/data store claims 2147483647 bytes/);
      const zero = Buffer.from(sample);
      zero.writeUInt32BE(0, 0);
      expect(() => parseRpmHeader(zero)).toThrow(/index has no entries/);
    });

    it('rejects an offset outside the data store', () => {
      expect(() => parseRpmHeader(patchEntry(sample, 0, 2, 100000))).toThrow(
        /index entry 0 \(tag 1000\) offset 100000 is outside the \d+-byte data store/,
      );
      expect(() => parseRpmHeader(patchEntry(sample, 1, 2, -4))).toThrow(/offset -4 is outside/);
    });

    it('rejects a fixed-size entry whose count runs past the data store', () => {
      // entry 4 is the INT16 array
      expect(() => parseRpmHeader(patchEntry(sample, 4, 3, 0xffffffff))).toThrow(
        /index entry 4 \(tag 1030\) has 4294967295 values of 2 bytes/,
      );
    });

    it('rejects string entries with impossible counts', () => {
      expect(() => parseRpmHeader(patchEntry(sample, 3, 3, 0xffffffff))).toThrow(/claims 4294967295 strings/);
      expect(() => parseRpmHeader(patchEntry(sample, 0, 3, 2))).toThrow(/STRING with count 2, not 1/);
      expect(() => parseRpmHeader(patchEntry(sample, 0, 3, 0))).toThrow(/string entry with count 0/);
    });

    it('rejects a string with no NUL before the end of the data store', () => {
      const blob = buildHeader([str(RPM_TAG.NAME, 'a'), str(RPM_TAG.VERSION, '1'), str(RPM_TAG.RELEASE, 'unterminated')]);
      const cut = Buffer.from(blob.subarray(0, blob.length - 1));
      cut.writeUInt32BE(cut.readUInt32BE(4) - 1, 4);
      expect(() => parseRpmHeader(cut)).toThrow(/tag 1002\) has a string at offset 4 with no NUL/);
      // An offset exactly at the end of the data store is in range but has no room for a string.
      expect(() => parseRpmHeader(patchEntry(blob, 0, 2, blob.readUInt32BE(4)))).toThrow(
        /claims 1 strings at offset 17, beyond the 17-byte data store/,
      );
      // A string that starts inside the store but runs off its end.
      expect(() => parseRpmHeader(patchEntry(cut, 0, 2, cut.readUInt32BE(4) - 3))).toThrow(/no NUL/);
    });

    it('rejects an unknown type and a wrongly typed field', () => {
      expect(() => parseRpmHeader(patchEntry(sample, 0, 1, 42))).toThrow(/index entry 0 \(tag 1000\) has unknown type 42/);
      const epochAsString = buildHeader([
        str(RPM_TAG.NAME, 'a'),
        str(RPM_TAG.VERSION, '1'),
        str(RPM_TAG.RELEASE, '1'),
        str(RPM_TAG.EPOCH, '2'),
      ]);
      expect(() => parseRpmHeader(epochAsString)).toThrow(/tag 1003 has type 6, not an integer type/);
      const nameAsInt = buildHeader([{ tag: RPM_TAG.NAME, type: RPM_TYPE.INT32, ints: [1] }]);
      expect(() => parseRpmHeader(nameAsInt)).toThrow(/tag 1000 has type 4, not a string type/);
    });

    it('requires NAME, VERSION and RELEASE', () => {
      expect(() => parseRpmHeader(buildHeader([str(RPM_TAG.NAME, 'a'), str(RPM_TAG.VERSION, '1')]))).toThrow(
        /no RELEASE \(tag 1002\)/,
      );
      expect(() => parseRpmHeader(buildHeader([str(RPM_TAG.VERSION, '1')]))).toThrow(/no NAME/);
    });

    it('fails cleanly on random corruption (seeded)', () => {
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let round = 0; round < 2000; round++) {
        const blob = Buffer.from(sample);
        const flips = 1 + rand(4);
        for (let f = 0; f < flips; f++) blob[rand(blob.length)] = rand(256);
        try {
          const h = parseRpmHeader(blob);
          expect(typeof h.name).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          expect((err as Error).message).toMatch(/^malformed rpm header: /);
        }
      }
    });
  });
});
