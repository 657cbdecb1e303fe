import { describe, expect, it } from 'vitest';
import { npmLockfileAnalyzer, npmPackageAnalyzer } from './npm.analyzer.ts';

const info = { executable: false, size: 1000 };
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('npmPackageAnalyzer.wants', () => {
  it('wants package.json directly in a package directory under node_modules', () => {
    expect(npmPackageAnalyzer.wants('app/node_modules/express/package.json', info)).toBe(true);
    expect(npmPackageAnalyzer.wants('node_modules/@babel/core/package.json', info)).toBe(true);
    expect(npmPackageAnalyzer.wants('usr/lib/node_modules/npm/node_modules/semver/package.json', info)).toBe(true);
    expect(npmPackageAnalyzer.wants('app/node_modules/a/node_modules/@s/b/package.json', info)).toBe(true);
  });

  it('does not want nested fixtures, bare scopes, npm bookkeeping or the project manifest', () => {
    expect(npmPackageAnalyzer.wants('app/node_modules/x/test/package.json', info)).toBe(false);
    expect(npmPackageAnalyzer.wants('app/node_modules/@scope/package.json', info)).toBe(false);
    expect(npmPackageAnalyzer.wants('app/node_modules/.bin/package.json', info)).toBe(false);
    expect(npmPackageAnalyzer.wants('app/package.json', info)).toBe(false);
    expect(npmPackageAnalyzer.wants('app/my_node_modules/x/package.json', info)).toBe(false);
  });
});

describe('npmPackageAnalyzer.parse', () => {
  const path = 'app/node_modules/x/package.json';

  it('reads name, version and an SPDX license string', () => {
    expect(npmPackageAnalyzer.parse(path, json({ name: 'express', version: '4.18.2', license: 'MIT' }))).toEqual([
      { ecosystem: 'npm', name: 'express', version: '4.18.2', licenses: ['MIT'], path },
    ]);
  });

  it('reads the deprecated license object and the legacy licenses array', () => {
    expect(npmPackageAnalyzer.parse(path, json({ name: 'a', version: '1.0.0', license: { type: 'ISC', url: 'x' } }))[0]?.licenses).toEqual(['ISC']);
    expect(npmPackageAnalyzer.parse(path, json({ name: 'b', version: '1.0.0', licenses: [{ type: 'MIT' }, 'Apache-2.0', 7] }))[0]?.licenses).toEqual(['MIT', 'Apache-2.0']);
    expect(npmPackageAnalyzer.parse(path, json({ name: 'c', version: '1.0.0' }))).toEqual([{ ecosystem: 'npm', name: 'c', version: '1.0.0', path }]);
  });

  it('skips manifests without a name or version', () => {
    expect(npmPackageAnalyzer.parse(path, json({ name: 'a' }))).toEqual([]);
    expect(npmPackageAnalyzer.parse(path, json({ version: '1.0.0' }))).toEqual([]);
    expect(npmPackageAnalyzer.parse(path, json({ name: 'a', version: 3 }))).toEqual([]);
  });

  it('throws for content that is not a JSON object', () => {
    expect(() => npmPackageAnalyzer.parse(path, Buffer.from('{ nope'))).toThrow(/^app\/node_modules\/x\/package\.json is not valid JSON: /);
    expect(() => npmPackageAnalyzer.parse(path, json([1]))).toThrow('app/node_modules/x/package.json is not a JSON object');
  });
});

describe('npmLockfileAnalyzer', () => {
  const path = 'app/package-lock.json';

  it('wants project lockfiles, not those inside dependencies nor the hidden lockfile', () => {
    expect(npmLockfileAnalyzer.wants('app/package-lock.json', info)).toBe(true);
    expect(npmLockfileAnalyzer.wants('package-lock.json', info)).toBe(true);
    expect(npmLockfileAnalyzer.wants('app/node_modules/.package-lock.json', info)).toBe(false);
    expect(npmLockfileAnalyzer.wants('app/node_modules/x/package-lock.json', info)).toBe(false);
    expect(npmLockfileAnalyzer.wants('app/yarn.lock', info)).toBe(false);
  });

  it('walks the lockfileVersion 1 dependency tree, resolving aliases', () => {
    const lock = {
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 1,
      dependencies: {
        express: { version: '4.18.2', dependencies: { debug: { version: '2.6.9' } } },
        debug: { version: '4.3.4' },
        'string-width-cjs': { version: 'npm:string-width@4.2.3' },
        '@types/node': { version: '20.1.0' },
        broken: { resolved: 'x' },
      },
    };
    expect(npmLockfileAnalyzer.parse(path, json(lock))).toEqual([
      { ecosystem: 'npm', name: 'express', version: '4.18.2', path },
      { ecosystem: 'npm', name: 'debug', version: '2.6.9', path },
      { ecosystem: 'npm', name: 'debug', version: '4.3.4', path },
      { ecosystem: 'npm', name: 'string-width', version: '4.2.3', path },
      { ecosystem: 'npm', name: '@types/node', version: '20.1.0', path },
    ]);
  });

  it('reads the packages map of lockfileVersion 2 and 3, skipping the root, links and workspace sources', () => {
    const lock = {
      name: 'app',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0' },
        'node_modules/express': { version: '4.18.2', license: 'MIT' },
        'node_modules/express/node_modules/@scope/debug': { version: '2.6.9', license: { type: 'BSD' } },
        'node_modules/string-width-cjs': { name: 'string-width', version: '4.2.3' },
        'node_modules/local': { resolved: 'packages/local', link: true },
        'packages/local': { name: 'local', version: '0.0.1' },
        'node_modules/noversion': { resolved: 'x' },
      },
      dependencies: { ignored: { version: '9.9.9' } },
    };
    expect(npmLockfileAnalyzer.parse(path, json(lock))).toEqual([
      { ecosystem: 'npm', name: 'express', version: '4.18.2', licenses: ['MIT'], path },
      { ecosystem: 'npm', name: '@scope/debug', version: '2.6.9', licenses: ['BSD'], path },
      { ecosystem: 'npm', name: 'string-width', version: '4.2.3', path },
    ]);
  });

  it('reads this repository\'s own lockfile', async () => {
    const { readFileSync } = await import('node:fs');
    const content = readFileSync('package-lock.json');
    const packages = npmLockfileAnalyzer.parse('package-lock.json', content);
    expect(packages.find((p) => p.name === 'vitest')?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(packages.every((p) => p.name !== '' && !p.name.includes('node_modules'))).toBe(true);
  });

  it('returns nothing for a lockfile with neither shape, and throws for invalid JSON', () => {
    expect(npmLockfileAnalyzer.parse(path, json({ lockfileVersion: 3 }))).toEqual([]);
    expect(() => npmLockfileAnalyzer.parse(path, Buffer.from(''))).toThrow(/^app\/package-lock\.json is not valid JSON/);
  });
});
