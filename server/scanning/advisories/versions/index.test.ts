import { describe, expect, it } from 'vitest';
import { compareVersions, knownEcosystems, validVersion } from './index.ts';

describe('compareVersions', () => {
  it('picks the ordering from the ecosystem name, ignoring release suffixes', () => {
    expect(compareVersions('Debian:12', '1.0~rc1', '1.0')).toBe(-1);
    expect(compareVersions('Ubuntu:22.04:LTS', '2.35-0ubuntu3.1', '2.35-0ubuntu3.10')).toBe(-1);
    expect(compareVersions('Alpine:v3.19', '1.2.3-r10', '1.2.3-r9')).toBe(1);
    expect(compareVersions('Red Hat', '1:1.0-1', '2.0-1')).toBe(1);
    expect(compareVersions('Rocky Linux:9', '1.0~rc1', '1.0')).toBe(-1);
    expect(compareVersions('AlmaLinux:8', '1.0-1.el8', '1.0-1.el8')).toBe(0);
    expect(compareVersions('npm', '1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('Go', 'v1.2.3', 'v1.10.0')).toBe(-1);
    expect(compareVersions('PyPI', '1.0', '1.0.0')).toBe(0);
  });

  it('gives a different answer where the orderings disagree', () => {
    // A trailing letter makes a later version for dpkg but an alpha pre-release for PEP 440.
    expect(compareVersions('Debian', '1.0a', '1.0')).toBe(1);
    expect(compareVersions('PyPI', '1.0a', '1.0')).toBe(-1);
  });

  it('throws an error naming an unknown ecosystem', () => {
    expect(() => compareVersions('Cobol', '1', '2')).toThrow(/unknown ecosystem: Cobol/);
    expect(() => validVersion('constructor', '1')).toThrow(/constructor/);
  });

  it('validates versions per ecosystem', () => {
    expect(validVersion('npm', '1.2.3')).toBe(true);
    expect(validVersion('npm', '1.2')).toBe(false);
    expect(validVersion('Debian:11', '1:1.2-3')).toBe(true);
    expect(validVersion('PyPI', '1.0.post1')).toBe(true);
  });

  it('lists the known ecosystems', () => {
    expect(knownEcosystems).toEqual(expect.arrayContaining(['Debian', 'Ubuntu', 'Alpine', 'Red Hat', 'Rocky Linux', 'AlmaLinux', 'RPM', 'npm', 'Go', 'PyPI']));
  });
});
