import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dpkgAnalyzer } from './dpkg.analyzer.ts';

const status = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 More text.

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14+b1

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: never
Status: install ok not-installed
Architecture: all
Version: 2.0

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2

Version: 1.0
Status: install ok installed

Package: tzdata
Status: hold ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

describe('dpkgAnalyzer.wants', () => {
  it('wants the status file and the distroless status.d records only', () => {
    const info = { executable: false, size: 100 };
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status', info)).toBe(true);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/libc6', info)).toBe(true);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/libc6.md5sums', info)).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status-old', info)).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/', info)).toBe(false);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/sub/x', info)).toBe(false);
    expect(dpkgAnalyzer.wants('usr/var/lib/dpkg/status', info)).toBe(false);
  });
});

describe('dpkgAnalyzer.parse', () => {
  it('reads installed packages with their source package and architecture', () => {
    expect(dpkgAnalyzer.parse('var/lib/dpkg/status', Buffer.from(status))).toEqual([
      { ecosystem: 'Debian', name: 'libc6', version: '2.36-9+deb12u4', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4', arch: 'amd64', path: 'var/lib/dpkg/status' },
      { ecosystem: 'Debian', name: 'libgcc-s1', version: '12.2.0-14+b1', sourceName: 'gcc-12', sourceVersion: '12.2.0-14', arch: 'amd64', path: 'var/lib/dpkg/status' },
      { ecosystem: 'Debian', name: 'bash', version: '5.2.15-2+b2', sourceName: 'bash', sourceVersion: '5.2.15-2+b2', arch: 'amd64', path: 'var/lib/dpkg/status' },
      { ecosystem: 'Debian', name: 'tzdata', version: '2024a-0+deb12u1', sourceName: 'tzdata', sourceVersion: '2024a-0+deb12u1', arch: 'all', path: 'var/lib/dpkg/status' },
    ]);
  });

  it('includes status.d records, which have no Status field', () => {
    const record = 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\nMaintainer: Santiago Vila\n';
    expect(dpkgAnalyzer.parse('var/lib/dpkg/status.d/base', Buffer.from(record))).toEqual([
      { ecosystem: 'Debian', name: 'base-files', version: '12.4+deb12u5', sourceName: 'base-files', sourceVersion: '12.4+deb12u5', arch: 'amd64', path: 'var/lib/dpkg/status.d/base' },
    ]);
  });

  it('skips status-file records that have no Status field', () => {
    expect(dpkgAnalyzer.parse('var/lib/dpkg/status', Buffer.from('Package: x\nVersion: 1\n'))).toEqual([]);
  });

  it('reads CRLF line ends and an empty file', () => {
    expect(dpkgAnalyzer.parse('var/lib/dpkg/status', Buffer.from('Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n\r\n')).map((p) => p.name)).toEqual(['a']);
    expect(dpkgAnalyzer.parse('var/lib/dpkg/status', Buffer.alloc(0))).toEqual([]);
  });

  it('reads this machine\'s dpkg database quickly', () => {
    const content = readFileSync('/var/lib/dpkg/status');
    const started = performance.now();
    const packages = dpkgAnalyzer.parse('var/lib/dpkg/status', content);
    const elapsed = performance.now() - started;
    const installed = content.toString('utf8').split('\n').filter((l) => /^Status: .* installed$/.test(l)).length;
    expect(packages.length).toBe(installed);
    expect(packages.length).toBeGreaterThan(10);
    expect(elapsed).toBeLessThan(200);
    for (const p of packages) {
      expect(p.name).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
      expect(p.sourceName).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
    }
  });
});
