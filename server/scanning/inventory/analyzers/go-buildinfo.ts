import { readAt, readElf } from './elf.ts';

/** What the Go linker records in `.go.buildinfo`: `runtime.Version()` and the `debug.BuildInfo` text. */
export interface GoBuildInfo {
  goVersion: string;
  /** Module info lines (`path`, `mod`, `dep`, `=>`, `build`), sentinels stripped; empty when built without modules. */
  modinfo: string;
}

const magic = Buffer.from('\xff Go buildinf:', 'latin1');
const headerSize = 32;
const align = 16;
/** Flags bit 0x2: the strings follow the header inline (Go 1.18+); otherwise the header holds pointers to them. */
const flagsInline = 2;
/** The bytes the linker puts around module info (cmd/go's `infoStart` and `infoEnd`). */
const modinfoStart = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const modinfoEnd = Buffer.from('f932433186182072008242104116d8f2', 'hex');
/** Go strings this long are not build info, and reading them would mean trusting a corrupt header. */
const maxString = 1 << 24;

/** Decodes an unsigned LEB128 varint at `at`; undefined when it runs off the end or past 2^53. */
function uvarint(data: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < data.length && i < at + 8; i++) {
    const b = data[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}

/** A uvarint-length-prefixed string, as Go 1.18+ writes the version and module info after the header. */
function inlineString(data: Buffer, at: number): { value: Buffer; next: number } | undefined {
  const len = uvarint(data, at);
  if (!len || len.value > maxString || len.next + len.value > data.length) return undefined;
  return { value: data.subarray(len.next, len.next + len.value), next: len.next + len.value };
}

/** The first 16-byte-aligned occurrence of the build info magic. */
function findHeader(content: Buffer): number {
  let at = content.indexOf(magic);
  while (at !== -1 && at % align !== 0) at = content.indexOf(magic, at + 1);
  return at;
}

/**
 * Pre-1.18 layout: the header holds two pointers, each to a Go string header `{data pointer, length}`, so
 * reading a string means translating two virtual addresses to file offsets through the ELF mappings.
 */
function pointedStrings(content: Buffer, header: number): { goVersion: Buffer; modinfo: Buffer } | undefined {
  const image = readElf(content);
  if (!image) return undefined;
  const ptrSize = content[header + 14];
  if (ptrSize !== 4 && ptrSize !== 8) return undefined;
  // In this layout the flags byte is the byte order: nonzero for big endian.
  const bigEndian = content[header + 15] !== 0;
  const readPtr = (buf: Buffer, at: number): number => {
    if (ptrSize === 4) return bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at);
    return Number(bigEndian ? buf.readBigUInt64BE(at) : buf.readBigUInt64LE(at));
  };
  const readString = (addr: number): Buffer | undefined => {
    const hdr = readAt(image, content, addr, 2 * ptrSize);
    if (!hdr) return undefined;
    const dataAddr = readPtr(hdr, 0);
    const length = readPtr(hdr, ptrSize);
    if (length === 0) return Buffer.alloc(0);
    if (length > maxString) return undefined;
    return readAt(image, content, dataAddr, length);
  };
  if (header + 16 + 2 * ptrSize > content.length) return undefined;
  const goVersion = readString(readPtr(content, header + 16));
  const modinfo = readString(readPtr(content, header + 16 + ptrSize));
  if (goVersion === undefined) return undefined;
  return { goVersion, modinfo: modinfo ?? Buffer.alloc(0) };
}

/**
 * The linker wraps module info in 16 bytes of sentinel at each end; Go strips them when the string can hold
 * both. Done on bytes, since the sentinels are not UTF-8 and decoding first would change the length.
 */
function stripSentinels(modinfo: Buffer): Buffer {
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === 0x0a) return modinfo.subarray(16, modinfo.length - 16);
  return modinfo;
}

function decoded(strings: { goVersion: Buffer; modinfo: Buffer }): GoBuildInfo {
  return { goVersion: strings.goVersion.toString('utf8'), modinfo: stripSentinels(strings.modinfo).toString('utf8') };
}

/**
 * Some builds drop the `.go.buildinfo` section (esbuild's release binaries do) yet keep `runtime.modinfo`,
 * still between its sentinels: the modules can be read, though the toolchain version is then unknown ('').
 */
function bareModinfo(content: Buffer): GoBuildInfo | undefined {
  const start = content.indexOf(modinfoStart);
  if (start === -1) return undefined;
  const end = content.indexOf(modinfoEnd, start + modinfoStart.length);
  if (end === -1 || end - start > maxString) return undefined;
  const text = content.toString('utf8', start + modinfoStart.length, end);
  // The sentinel bytes could occur by chance; module info always opens with its `path` line.
  if (!text.startsWith('path\t')) return undefined;
  return { goVersion: '', modinfo: text };
}

/**
 * Finds and decodes a Go binary's build info (both the Go 1.18+ inline layout and the older pointer layout),
 * or returns undefined when the ELF file holds none: not Go, or a Go before 1.13. Without a readable build
 * info header, falls back to module info found bare (`goVersion` then '').
 */
export function readGoBuildInfo(content: Buffer): GoBuildInfo | undefined {
  return fromHeader(content) ?? bareModinfo(content);
}

function fromHeader(content: Buffer): GoBuildInfo | undefined {
  const header = findHeader(content);
  if (header === -1 || header + headerSize > content.length) return undefined;
  const flags = content[header + 15]!;
  if ((flags & flagsInline) === 0) {
    const strings = pointedStrings(content, header);
    return strings && decoded(strings);
  }
  const version = inlineString(content, header + headerSize);
  if (!version) return undefined;
  const modinfo = inlineString(content, version.next);
  return decoded({ goVersion: version.value, modinfo: modinfo?.value ?? Buffer.alloc(0) });
}
