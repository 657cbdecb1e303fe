/**
 * A minimal DER reader: enough of ASN.1 to read the X.509 extensions Node's `X509Certificate` does not expose
 * (key usage bits, critical flags, path length, Fulcio's OIDC issuer) and certificates' signature algorithms.
 * Every read is bounds-checked; malformed input throws `DerError`, which callers turn into a failed check.
 */

export class DerError extends Error {
  override name = 'DerError';
}

/** One TLV: its tag byte, where its value lies and the bytes themselves. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number below 31). */
  tag: number;
  value: Buffer;
  /** The whole TLV, header included. */
  raw: Buffer;
}

export const tags = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Reads the TLV at `offset`. */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw new DerError('truncated DER header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let length = buf[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported DER length');
    if (offset + 2 + n > buf.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    header += n;
  }
  const end = offset + header + length;
  if (end > buf.length) throw new DerError('DER value runs past its container');
  return { tag, value: buf.subarray(offset + header, end), raw: buf.subarray(offset, end) };
}

/** The TLVs inside a constructed value. */
export function children(tlv: Tlv): Tlv[] {
  if (!(tlv.tag & 0x20)) throw new DerError(`DER tag 0x${tlv.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  for (let offset = 0; offset < tlv.value.length; ) {
    const child = readTlv(tlv.value, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

/** Parses `buf` as exactly one TLV, with nothing after it. */
export function parseDer(buf: Buffer): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.raw.length !== buf.length) throw new DerError('trailing bytes after DER value');
  return tlv;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`);
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's value. */
export function decodeOid(value: Buffer): string {
  if (value.length === 0) throw new DerError('empty OID');
  const first = value[0]!;
  const parts = [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80];
  let n = 0;
  for (let i = 1; i < value.length; i++) {
    const b = value[i]!;
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** A small non-negative INTEGER (path lengths, versions). */
export function decodeSmallInt(value: Buffer): number {
  if (value.length === 0 || value.length > 4) throw new DerError('unsupported INTEGER');
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}
