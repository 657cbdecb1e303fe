/** The ELF file magic, `\x7fELF`. */
const elfMagic = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** A loaded range of the file: virtual addresses [vaddr, vaddr+size) are file bytes [offset, offset+size). */
interface Mapping {
  vaddr: number;
  offset: number;
  size: number;
}

/** Just enough of an ELF file to read data at a virtual address: its word size, byte order and mappings. */
export interface ElfImage {
  class: 32 | 64;
  littleEndian: boolean;
  mappings: Mapping[];
}

/** Whether the content starts with the ELF magic: the cheap check to do before anything else. */
export function isElf(content: Buffer): boolean {
  return content.length >= 4 && content.subarray(0, 4).equals(elfMagic);
}

/** A reader of unsigned integers of one byte order; 64-bit values beyond 2^53 lose precision, which no file offset reaches. */
function reader(content: Buffer, littleEndian: boolean) {
  const need = (at: number, n: number): void => {
    if (at < 0 || at + n > content.length) throw new RangeError(`ELF read past the end of the file at ${at}`);
  };
  return {
    u16: (at: number): number => (need(at, 2), littleEndian ? content.readUInt16LE(at) : content.readUInt16BE(at)),
    u32: (at: number): number => (need(at, 4), littleEndian ? content.readUInt32LE(at) : content.readUInt32BE(at)),
    u64: (at: number): number => (need(at, 8), Number(littleEndian ? content.readBigUInt64LE(at) : content.readBigUInt64BE(at))),
  };
}

const ptLoad = 1;
const shtNobits = 8;

/**
 * Reads the ELF header and the file-backed mappings of its program headers (PT_LOAD) and section headers
 * (stripped or odd binaries may lack one table or the other, so both are kept). Returns undefined for
 * content that is not an ELF file or whose header is cut short.
 */
export function readElf(content: Buffer): ElfImage | undefined {
  if (!isElf(content) || content.length < 52) return undefined;
  const klass = content[4];
  const data = content[5];
  if ((klass !== 1 && klass !== 2) || (data !== 1 && data !== 2)) return undefined;
  const is64 = klass === 2;
  const littleEndian = data === 1;
  const r = reader(content, littleEndian);
  const word = is64 ? r.u64 : r.u32;
  const mappings: Mapping[] = [];
  try {
    const phoff = word(is64 ? 0x20 : 0x1c);
    const shoff = word(is64 ? 0x28 : 0x20);
    const phentsize = r.u16(is64 ? 0x36 : 0x2a);
    const phnum = r.u16(is64 ? 0x38 : 0x2c);
    const shentsize = r.u16(is64 ? 0x3a : 0x2e);
    const shnum = r.u16(is64 ? 0x3c : 0x30);
    for (let i = 0; phoff !== 0 && i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + (is64 ? 56 : 32) > content.length) break;
      if (r.u32(at) !== ptLoad) continue;
      const offset = word(at + (is64 ? 8 : 4));
      const vaddr = word(at + (is64 ? 16 : 8));
      const size = word(at + (is64 ? 32 : 16));
      mappings.push({ vaddr, offset, size });
    }
    for (let i = 0; shoff !== 0 && i < shnum; i++) {
      const at = shoff + i * shentsize;
      if (at + (is64 ? 64 : 40) > content.length) break;
      // NOBITS sections (.bss) occupy addresses but no file bytes.
      if (r.u32(at + 4) === shtNobits) continue;
      const vaddr = word(at + (is64 ? 16 : 12));
      const offset = word(at + (is64 ? 24 : 16));
      const size = word(at + (is64 ? 32 : 20));
      if (vaddr !== 0 && size !== 0) mappings.push({ vaddr, offset, size });
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
  }
  return { class: is64 ? 64 : 32, littleEndian, mappings };
}

/** The `length` file bytes at virtual address `vaddr`, or undefined when no mapping holds all of them. */
export function readAt(image: ElfImage, content: Buffer, vaddr: number, length: number): Buffer | undefined {
  for (const m of image.mappings) {
    if (vaddr < m.vaddr || vaddr + length > m.vaddr + m.size) continue;
    const start = m.offset + (vaddr - m.vaddr);
    if (start + length > content.length) continue;
    return content.subarray(start, start + length);
  }
  return undefined;
}
