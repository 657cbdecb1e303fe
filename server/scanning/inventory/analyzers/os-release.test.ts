import { describe, expect, it } from 'vitest';
import { osReleasePaths, parseOsRelease } from './os-release.ts';

describe('parseOsRelease', () => {
  it('reads a Debian os-release with double quotes and unquoted values', () => {
    const content = Buffer.from(
      [
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
        'NAME="Debian GNU/Linux"',
        'VERSION_ID="12"',
        'VERSION="12 (bookworm)"',
        'VERSION_CODENAME=bookworm',
        'ID=debian',
        'HOME_URL="https://www.debian.org/"',
      ].join('\n'),
    );
    expect(parseOsRelease(content)).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', versionCodename: 'bookworm' });
  });

  it('honours comments, single quotes, backslash escapes and CRLF line ends', () => {
    const content = Buffer.from("# a comment\r\nID='alpine'\r\n  # indented comment\r\nVERSION_ID=3.19.1\r\nPRETTY_NAME=\"Alpine \\\"Linux\\\" \\\\ v3.19\"\r\n");
    expect(parseOsRelease(content)).toEqual({ id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine "Linux" \\ v3.19' });
  });

  it('takes single-quoted text literally and unquoted escapes as the escaped character', () => {
    expect(parseOsRelease(Buffer.from("ID=ubuntu\nPRETTY_NAME='Ubuntu \\n 22.04'\nVERSION_ID=22\\.04\n"))).toEqual({
      id: 'ubuntu',
      versionId: '22.04',
      prettyName: 'Ubuntu \\n 22.04',
    });
  });

  it('omits fields that are missing or empty', () => {
    expect(parseOsRelease(Buffer.from('ID=rocky\nVERSION_ID=""\n'))).toEqual({ id: 'rocky' });
  });

  it('ignores lines that are not assignments', () => {
    expect(parseOsRelease(Buffer.from('garbage line\nID=rhel\n=oops\n'))).toEqual({ id: 'rhel' });
  });

  it('defaults a missing ID to linux, as os-release(5) does', () => {
    expect(parseOsRelease(Buffer.from('NAME=Nothing\nVERSION_ID=1\n'))).toEqual({ id: 'linux', versionId: '1' });
    expect(parseOsRelease(Buffer.from([0xff, 0x00, 0x0a]))).toEqual({ id: 'linux' });
  });

  it('lists etc/os-release before usr/lib/os-release', () => {
    expect(osReleasePaths).toEqual(['etc/os-release', 'usr/lib/os-release']);
  });

  it('reads the os-release of this machine', async () => {
    const { readFileSync, existsSync } = await import('node:fs');
    const path = osReleasePaths.map((p) => `/${p}`).find((p) => existsSync(p));
    if (!path) return;
    expect(parseOsRelease(readFileSync(path)).id).toMatch(/^[a-z0-9._-]+$/);
  });
});
