import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goBinaryAnalyzer } from './go-binary.analyzer.ts';
import { parseModinfo, stdlibVersion } from './go-modinfo.ts';

const magic = Buffer.from('\xff Go buildinf:', 'latin1');
const sentinelStart = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const sentinelEnd = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const wrap = (modinfo: string): Buffer => Buffer.concat([sentinelStart, Buffer.from(modinfo), sentinelEnd]);

const modinfo = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.4.0\th1:abc=',
  'dep\tgithub.com/a/b\tv1.2.3\th1:def=',
  'dep\tgolang.org/x/net\tv0.17.0\th1:ghi=',
  '=>\tgithub.com/fork/net\tv0.17.1\th1:jkl=',
  'dep\texample.com/local\tv0.0.0',
  '=>\t../local\t\t',
  'build\t-compiler=gc',
  'build\tGOARCH=arm64',
  '',
].join('\n');

/** Unsigned LEB128, as Go's linker prefixes inline strings. */
function uvarint(n: number): Buffer {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** Writes an integer of `size` bytes (4 or 8) in the given byte order. */
function put(buf: Buffer, at: number, value: number, size: 4 | 8, littleEndian: boolean): void {
  if (size === 4) {
    if (littleEndian) buf.writeUInt32LE(value, at);
    else buf.writeUInt32BE(value, at);
  } else if (littleEndian) buf.writeBigUInt64LE(BigInt(value), at);
  else buf.writeBigUInt64BE(BigInt(value), at);
}

/**
 * A minimal ELF file: header, one PT_LOAD program header mapping the whole file at `base`, and `payload`
 * at file offset 0x100 (16-byte aligned, as the build info must be).
 */
function elf(payload: Buffer, opts: { is64: boolean; littleEndian: boolean; base: number }): Buffer {
  const buf = Buffer.alloc(0x100 + payload.length);
  const { is64, littleEndian, base } = opts;
  const w = is64 ? 8 : 4;
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, littleEndian ? 1 : 2, 1]).copy(buf, 0);
  const u16 = (at: number, v: number): number => (littleEndian ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const phoff = is64 ? 64 : 52;
  put(buf, is64 ? 0x20 : 0x1c, phoff, w, littleEndian);
  u16(is64 ? 0x36 : 0x2a, is64 ? 56 : 32);
  u16(is64 ? 0x38 : 0x2c, 1);
  put(buf, phoff, 1, 4, littleEndian);
  put(buf, phoff + (is64 ? 8 : 4), 0, w, littleEndian);
  put(buf, phoff + (is64 ? 16 : 8), base, w, littleEndian);
  put(buf, phoff + (is64 ? 32 : 16), buf.length, w, littleEndian);
  payload.copy(buf, 0x100);
  return buf;
}

/** Go 1.18+ build info: header with flags bit 2, then the two strings inline. */
function inlineBuildInfo(goVersion: string, info: Buffer): Buffer {
  const header = Buffer.alloc(32);
  magic.copy(header, 0);
  header[14] = 8;
  header[15] = 2;
  return Buffer.concat([header, uvarint(goVersion.length), Buffer.from(goVersion), uvarint(info.length), info]);
}

/** Pre-1.18 build info: header pointers to Go string headers, which point at the bytes, all at `base`+offset. */
function pointerBuildInfo(goVersion: string, info: Buffer, ptrSize: 4 | 8, littleEndian: boolean, base: number): Buffer {
  // Offsets are within the payload, which elf() places at file offset (and so address base+) 0x100.
  const at = (off: number): number => base + 0x100 + off;
  const payload = Buffer.alloc(0x80 + goVersion.length + info.length);
  magic.copy(payload, 0);
  payload[14] = ptrSize;
  payload[15] = littleEndian ? 0 : 1;
  put(payload, 16, at(0x40), ptrSize, littleEndian);
  put(payload, 16 + ptrSize, at(0x60), ptrSize, littleEndian);
  put(payload, 0x40, at(0x80), ptrSize, littleEndian);
  put(payload, 0x40 + ptrSize, goVersion.length, ptrSize, littleEndian);
  put(payload, 0x60, at(0x80 + goVersion.length), ptrSize, littleEndian);
  put(payload, 0x60 + ptrSize, info.length, ptrSize, littleEndian);
  Buffer.from(goVersion).copy(payload, 0x80);
  info.copy(payload, 0x80 + goVersion.length);
  return payload;
}

const expected = (path: string, arch = 'arm64') => [
  { ecosystem: 'Go', name: 'example.com/app', version: 'v1.4.0', arch, path },
  { ecosystem: 'Go', name: 'github.com/a/b', version: 'v1.2.3', arch, path },
  { ecosystem: 'Go', name: 'github.com/fork/net', version: 'v0.17.1', arch, path },
  { ecosystem: 'Go', name: 'stdlib', version: '1.21.6', arch, path },
];

describe('goBinaryAnalyzer.wants', () => {
  it('wants executables up to 256 MiB', () => {
    expect(goBinaryAnalyzer.maxBytes).toBe(256 * 1024 * 1024);
    expect(goBinaryAnalyzer.wants('usr/local/bin/app', { executable: true, size: 10_000_000 })).toBe(true);
    expect(goBinaryAnalyzer.wants('usr/local/bin/app', { executable: false, size: 10_000_000 })).toBe(false);
    expect(goBinaryAnalyzer.wants('usr/local/bin/app', { executable: true, size: 256 * 1024 * 1024 + 1 })).toBe(false);
    expect(goBinaryAnalyzer.wants('usr/local/bin/tiny', { executable: true, size: 12 })).toBe(false);
  });
});

describe('goBinaryAnalyzer.parse on synthetic binaries', () => {
  it('reads inline (Go 1.18+) build info: main module, deps with replacements, and stdlib', () => {
    const bin = elf(inlineBuildInfo('go1.21.6', wrap(modinfo)), { is64: true, littleEndian: true, base: 0x400000 });
    expect(goBinaryAnalyzer.parse('app', bin)).toEqual(expected('app'));
  });

  it('reads the pre-1.18 pointer layout in ELF64 little endian and ELF32 big endian', () => {
    const le = elf(pointerBuildInfo('go1.21.6', wrap(modinfo), 8, true, 0x400000), { is64: true, littleEndian: true, base: 0x400000 });
    expect(goBinaryAnalyzer.parse('le', le)).toEqual(expected('le'));
    const be = elf(pointerBuildInfo('go1.21.6', wrap(modinfo), 4, false, 0x10000), { is64: false, littleEndian: false, base: 0x10000 });
    expect(goBinaryAnalyzer.parse('be', be)).toEqual(expected('be'));
  });

  it('takes the build info header only at 16-byte alignment', () => {
    // Misaligned, the header is not Go's; only the sentinel-wrapped module info is still found, without stdlib.
    const misaligned = Buffer.concat([Buffer.alloc(3), inlineBuildInfo('go1.21.6', wrap(modinfo))]);
    expect(goBinaryAnalyzer.parse('x', elf(misaligned, { is64: true, littleEndian: true, base: 0 }))).toEqual(expected('x').slice(0, 3));
    const decoyThenReal = Buffer.concat([Buffer.alloc(1), magic, Buffer.alloc(1), inlineBuildInfo('go1.21.6', wrap(modinfo))]);
    expect(goBinaryAnalyzer.parse('y', elf(decoyThenReal, { is64: true, littleEndian: true, base: 0 }))).toEqual(expected('y'));
  });

  it('reports only stdlib for a binary built without modules', () => {
    const bin = elf(inlineBuildInfo('go1.22.1 X:boringcrypto', Buffer.alloc(0)), { is64: true, littleEndian: true, base: 0 });
    expect(goBinaryAnalyzer.parse('gopath', bin)).toEqual([{ ecosystem: 'Go', name: 'stdlib', version: '1.22.1', path: 'gopath' }]);
  });

  it('reads module info left bare when the build info section was stripped', () => {
    const bin = elf(Buffer.concat([Buffer.alloc(40), wrap(modinfo)]), { is64: true, littleEndian: true, base: 0 });
    expect(goBinaryAnalyzer.parse('stripped', bin)).toEqual(expected('stripped').slice(0, 3));
  });

  it('rejects non-ELF content, and ELF files without Go build info', () => {
    expect(goBinaryAnalyzer.parse('script', Buffer.concat([Buffer.from('#!/bin/sh\n'), inlineBuildInfo('go1.21.6', wrap(modinfo))]))).toEqual([]);
    expect(goBinaryAnalyzer.parse('c', elf(Buffer.alloc(64), { is64: true, littleEndian: true, base: 0 }))).toEqual([]);
    expect(goBinaryAnalyzer.parse('empty', Buffer.alloc(0))).toEqual([]);
  });

  it('survives truncated and corrupt headers, falling back to bare module info', () => {
    const whole = elf(inlineBuildInfo('go1.21.6', wrap(modinfo)), { is64: true, littleEndian: true, base: 0 });
    expect(goBinaryAnalyzer.parse('cut', whole.subarray(0, 0x100 + 20))).toEqual([]);
    expect(goBinaryAnalyzer.parse('cut', whole.subarray(0, 0x100 + 40))).toEqual([]);
    // Pointers to addresses no mapping holds: the version is lost, the modules are still found.
    const dangling = elf(pointerBuildInfo('go1.21.6', wrap(modinfo), 8, true, 0x400000), { is64: true, littleEndian: true, base: 0x900000 });
    expect(goBinaryAnalyzer.parse('dangling', dangling)).toEqual(expected('dangling').slice(0, 3));
    const hugeLength = elf(Buffer.concat([inlineBuildInfo('go1.21.6', Buffer.alloc(0)).subarray(0, 32), uvarint(2 ** 40)]), { is64: true, littleEndian: true, base: 0 });
    expect(goBinaryAnalyzer.parse('huge', hugeLength)).toEqual([]);
  });

  it('scans a 20 MB binary in milliseconds', () => {
    const big = Buffer.alloc(20 * 1024 * 1024);
    const info = inlineBuildInfo('go1.21.6', wrap(modinfo));
    info.copy(big, big.length - 4096);
    const bin = elf(big, { is64: true, littleEndian: true, base: 0 });
    const started = performance.now();
    expect(goBinaryAnalyzer.parse('big', bin)).toEqual(expected('big'));
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('parseModinfo and stdlibVersion', () => {
  it('drops (devel) and local-directory modules and reads build settings', () => {
    const info = parseModinfo('path\tx\nmod\tx\t(devel)\t\ndep\ta\t(devel)\t\ndep\tb\tv1.0.0\nbuild\tCGO_ENABLED=0\n');
    expect(info.main).toBeUndefined();
    expect(info.deps).toEqual([{ path: 'b', version: 'v1.0.0' }]);
    expect([...info.settings]).toEqual([['CGO_ENABLED', '0']]);
  });

  it('names the toolchain version without the go prefix or experiments', () => {
    expect(stdlibVersion('go1.21.6')).toBe('1.21.6');
    expect(stdlibVersion('go1.22.1 X:boringcrypto')).toBe('1.22.1');
    expect(stdlibVersion('go1.21rc2')).toBe('1.21rc2');
    expect(stdlibVersion('devel go1.23-4a5b6c')).toBeUndefined();
    expect(stdlibVersion('')).toBeUndefined();
  });
});

describe('goBinaryAnalyzer on this machine\'s Go programs', () => {
  for (const file of ['/usr/bin/skopeo', '/usr/bin/podman', '/usr/bin/umoci']) {
    it.runIf(existsSync(file))(`reads ${file}`, () => {
      const content = readFileSync(file);
      const path = file.slice(1);
      expect(goBinaryAnalyzer.wants(path, { executable: (statSync(file).mode & 0o111) !== 0, size: content.length })).toBe(true);
      const packages = goBinaryAnalyzer.parse(path, content);
      const stdlib = packages.find((p) => p.name === 'stdlib');
      // The toolchain's version string is in the binary as plain text; the stdlib version must be one of them.
      const goVersions = new Set([...content.toString('latin1').matchAll(/go(1\.\d+(?:\.\d+)?)/g)].map((m) => m[1]));
      expect(stdlib?.version).toMatch(/^1\.\d+/);
      expect(goVersions.has(stdlib?.version)).toBe(true);
      expect(stdlib?.arch).toBe(process.arch === 'x64' ? 'amd64' : process.arch);
      // Debian builds Go programs in GOPATH mode: module info holds no dep lines, so stdlib is all there is.
      const depLines = content.toString('latin1').split('\ndep\t').length - 1;
      expect(packages.filter((p) => p.name !== 'stdlib').length).toBe(depLines);
    });
  }
});
