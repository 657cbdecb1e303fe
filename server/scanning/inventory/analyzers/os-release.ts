import type { OsRelease } from '../package.ts';

/** Where os-release lives, in the order the spec says to look: `etc/os-release` wins over the vendor copy. */
export const osReleasePaths = ['etc/os-release', 'usr/lib/os-release'];

/**
 * Reads one shell-style value: unquoted text, `'single'` (taken literally), `"double"` (backslash escapes
 * `\"`, `\\`, `\$`, `` \` `` honoured), or a mix of these run together, as a shell would concatenate them.
 * Stops at unquoted whitespace, which also drops a trailing ` # comment`.
 */
function shellValue(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      // An unterminated quote: take the rest rather than dropping the value.
      const stop = end === -1 ? raw.length : end;
      out += raw.slice(i + 1, stop);
      i = stop + 1;
    } else if (c === '"') {
      i++;
      while (i < raw.length && raw[i] !== '"') {
        if (raw[i] === '\\' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1]!)) {
          out += raw[i + 1];
          i += 2;
        } else {
          out += raw[i];
          i++;
        }
      }
      i++;
    } else if (c === '\\' && i + 1 < raw.length) {
      out += raw[i + 1];
      i += 2;
    } else if (c === ' ' || c === '\t') {
      break;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * Parses an os-release file (`KEY=value` lines, `#` comments, optional quotes and backslash escapes).
 * Never throws: a missing `ID` is `linux`, the default os-release(5) gives, so a broken file costs the
 * distro match rather than the whole scan.
 */
export function parseOsRelease(content: Buffer): OsRelease {
  const fields = new Map<string, string>();
  for (const line of content.toString('utf8').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (!m) continue;
    fields.set(m[1]!, shellValue(m[2]!));
  }
  const release: OsRelease = { id: fields.get('ID') || 'linux' };
  const versionId = fields.get('VERSION_ID');
  if (versionId) release.versionId = versionId;
  const prettyName = fields.get('PRETTY_NAME');
  if (prettyName) release.prettyName = prettyName;
  const codename = fields.get('VERSION_CODENAME');
  if (codename) release.versionCodename = codename;
  return release;
}
