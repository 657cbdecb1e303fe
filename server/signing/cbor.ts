/**
 * The part of CBOR (RFC 8949) that COSE_Sign1 envelopes use: integers, byte and text strings, arrays, maps, tags
 * and the simple values. Definite lengths only (COSE requires deterministic encoding), bounded depth; anything else
 * throws `CborError`. The encoder writes the same subset, for `Sig_structure` and for the test helpers.
 */

export class CborError extends Error {
  override name = 'CborError';
}

export class Tagged {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export type CborValue = number | string | Buffer | boolean | null | undefined | CborValue[] | Map<CborValue, CborValue> | Tagged;

const maxDepth = 16;

/** Decodes exactly one CBOR item; trailing bytes are an error. */
export function decodeCbor(buf: Buffer): CborValue {
  const [value, end] = item(buf, 0, 0);
  if (end !== buf.length) throw new CborError('trailing bytes after the CBOR item');
  return value;
}

function argument(buf: Buffer, offset: number, info: number): [number, number] {
  if (info < 24) return [info, offset];
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (!size) throw new CborError(info === 31 ? 'indefinite-length CBOR items are not supported' : 'malformed CBOR argument');
  if (offset + size > buf.length) throw new CborError('truncated CBOR');
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + buf[offset + i]!;
  if (!Number.isSafeInteger(n)) throw new CborError('CBOR integer too large');
  return [n, offset + size];
}

function item(buf: Buffer, offset: number, depth: number): [CborValue, number] {
  if (depth > maxDepth) throw new CborError('CBOR nested too deeply');
  if (offset >= buf.length) throw new CborError('truncated CBOR');
  const initial = buf[offset]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 7) {
    if (info === 20) return [false, offset + 1];
    if (info === 21) return [true, offset + 1];
    if (info === 22) return [null, offset + 1];
    if (info === 23) return [undefined, offset + 1];
    throw new CborError('CBOR floats and other simple values are not supported');
  }
  const [n, next] = argument(buf, offset + 1, info);
  switch (major) {
    case 0:
      return [n, next];
    case 1:
      return [-1 - n, next];
    case 2:
    case 3: {
      if (next + n > buf.length) throw new CborError('truncated CBOR string');
      const bytes = buf.subarray(next, next + n);
      return [major === 2 ? Buffer.from(bytes) : bytes.toString('utf8'), next + n];
    }
    case 4: {
      const out: CborValue[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const [v, end] = item(buf, at, depth + 1);
        out.push(v);
        at = end;
      }
      return [out, at];
    }
    case 5: {
      const out = new Map<CborValue, CborValue>();
      let at = next;
      for (let i = 0; i < n; i++) {
        const [k, afterKey] = item(buf, at, depth + 1);
        const [v, end] = item(buf, afterKey, depth + 1);
        if (typeof k !== 'number' && typeof k !== 'string') throw new CborError('CBOR map keys must be integers or text');
        if (out.has(k)) throw new CborError('duplicate CBOR map key');
        out.set(k, v);
        at = end;
      }
      return [out, at];
    }
    default: {
      const [v, end] = item(buf, next, depth + 1);
      return [new Tagged(n, v), end];
    }
  }
}

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Encodes the supported subset (definite lengths, map entries in insertion order). */
export function encodeCbor(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > 0xffffffff) throw new CborError('only 32-bit integers are encoded');
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value === false) return Buffer.from([0xf4]);
  if (value === true) return Buffer.from([0xf5]);
  if (value === null) return Buffer.from([0xf6]);
  if (value === undefined) return Buffer.from([0xf7]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])]);
  return Buffer.concat([head(6, value.tag), encodeCbor(value.value)]);
}
