import { gzipSync } from 'node:zlib';

/** One entry of a layer built in a test. */
export interface LayerEntry {
  path: string;
  content?: string | Buffer;
  /** Defaults: 0o644 files, 0o755 directories. */
  mode?: number;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  linkName?: string;
  /** Claims this size in the header without carrying the bytes (a hostile or truncated layer). */
  claimedSize?: number;
}

const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0';
const typeFlags = { file: '0', hardlink: '1', symlink: '2', directory: '5' } as const;

function header(name: string, size: number, mode: number, type: string, linkName = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  if (size > 0o77777777777) {
    // GNU base-256 for sizes past the octal field (the 10 GB claim).
    h[124] = 0x80;
    let n = size;
    for (let i = 135; i > 124; i--) {
      h[i] = n % 256;
      n = Math.floor(n / 256);
    }
  } else h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write(linkName, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function pax(name: string): Buffer {
  const record = (k: string, v: string): string => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
    return `${len}${body}`;
  };
  const data = Buffer.from(record('path', name));
  return Buffer.concat([header('PaxHeader', data.length, 0o644, 'x'), data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** An uncompressed tar of the entries (long names as PAX records), ended by two zero blocks. */
export function tarOf(entries: LayerEntry[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const size = e.claimedSize ?? (type === 'file' ? content.length : 0);
    if (Buffer.byteLength(e.path) > 99) parts.push(pax(e.path));
    parts.push(header(e.path.slice(0, 99), size, e.mode ?? (type === 'directory' ? 0o755 : 0o644), typeFlags[type], e.linkName));
    if (type === 'file') {
      parts.push(content);
      if (e.claimedSize === undefined) parts.push(Buffer.alloc((512 - (content.length % 512)) % 512));
    }
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A gzip-compressed layer of the entries. */
export const gzipLayer = (entries: LayerEntry[]): Buffer => gzipSync(tarOf(entries));

/** A dpkg status stanza. */
export function dpkgStanza(p: { name: string; version: string; source?: string; arch?: string }): string {
  return [`Package: ${p.name}`, 'Status: install ok installed', `Architecture: ${p.arch ?? 'amd64'}`, ...(p.source ? [`Source: ${p.source}`] : []), `Version: ${p.version}`, 'Description: test package', ''].join('\n');
}

export const debianOsRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
