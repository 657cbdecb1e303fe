import { describe, expect, it } from 'vitest';
import { apkAnalyzer } from './apk.analyzer.ts';

const installed = `C:Q1nR3o3Yq+5x0Ij9WkbZ4r3G9s4aE=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407339
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1705081213
c:83b858f83b658bd34eca5d8ad4d145f673ae7e5e
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1/7r8Hwmm+8S3GR4sFLjPFuAS0Ip4=

C:Q1abc=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0 AND (MIT OR BSD-2-Clause)
o:openssl

P:no-version
A:x86_64

P:busybox-binsh
V:1.36.1-r15
`;

describe('apkAnalyzer', () => {
  it('wants only lib/apk/db/installed', () => {
    expect(apkAnalyzer.wants('lib/apk/db/installed', { executable: false, size: 10 })).toBe(true);
    expect(apkAnalyzer.wants('lib/apk/db/triggers', { executable: false, size: 10 })).toBe(false);
    expect(apkAnalyzer.wants('usr/lib/apk/db/installed', { executable: false, size: 10 })).toBe(false);
  });

  it('reads name, version, arch, origin and licenses, skipping records without a version', () => {
    expect(apkAnalyzer.parse('lib/apk/db/installed', Buffer.from(installed))).toEqual([
      { ecosystem: 'Alpine', name: 'musl', version: '1.2.4_git20230717-r4', sourceName: 'musl', sourceVersion: '1.2.4_git20230717-r4', arch: 'x86_64', licenses: ['MIT'], path: 'lib/apk/db/installed' },
      {
        ecosystem: 'Alpine',
        name: 'libcrypto3',
        version: '3.1.4-r5',
        sourceName: 'openssl',
        sourceVersion: '3.1.4-r5',
        arch: 'x86_64',
        licenses: ['Apache-2.0', 'MIT', 'BSD-2-Clause'],
        path: 'lib/apk/db/installed',
      },
      { ecosystem: 'Alpine', name: 'busybox-binsh', version: '1.36.1-r15', path: 'lib/apk/db/installed' },
    ]);
  });

  it('splits space-separated licenses and reads CRLF files', () => {
    const pkgs = apkAnalyzer.parse('lib/apk/db/installed', Buffer.from('P:zlib\r\nV:1.3-r2\r\nL:Zlib GPL-2.0-only\r\n'));
    expect(pkgs).toEqual([{ ecosystem: 'Alpine', name: 'zlib', version: '1.3-r2', licenses: ['Zlib', 'GPL-2.0-only'], path: 'lib/apk/db/installed' }]);
  });

  it('returns nothing for an empty database', () => {
    expect(apkAnalyzer.parse('lib/apk/db/installed', Buffer.alloc(0))).toEqual([]);
  });
});
