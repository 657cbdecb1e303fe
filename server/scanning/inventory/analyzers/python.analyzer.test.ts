import { describe, expect, it } from 'vitest';
import { pythonAnalyzer } from './python.analyzer.ts';

const info = { executable: false, size: 1000 };

describe('pythonAnalyzer.wants', () => {
  it('wants dist-info METADATA, egg-info PKG-INFO and single-file egg-info', () => {
    expect(pythonAnalyzer.wants('usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA', info)).toBe(true);
    expect(pythonAnalyzer.wants('usr/local/lib/python3.12/site-packages/six-1.16.0.egg-info/PKG-INFO', info)).toBe(true);
    expect(pythonAnalyzer.wants('usr/lib/python3/dist-packages/chardet-5.1.0.egg-info', info)).toBe(true);
  });

  it('does not want other files in those directories', () => {
    expect(pythonAnalyzer.wants('site-packages/requests-2.31.0.dist-info/RECORD', info)).toBe(false);
    expect(pythonAnalyzer.wants('site-packages/six.egg-info/top_level.txt', info)).toBe(false);
    expect(pythonAnalyzer.wants('site-packages/requests/METADATA', info)).toBe(false);
    expect(pythonAnalyzer.wants('site-packages/x.dist-info/METADATA.bak', info)).toBe(false);
  });
});

describe('pythonAnalyzer.parse', () => {
  const path = 'site-packages/requests-2.31.0.dist-info/METADATA';

  it('reads name, version, license and license classifiers, ignoring the body', () => {
    const metadata = [
      'Metadata-Version: 2.1',
      'Name: requests ',
      'Version: 2.31.0',
      'Summary: Python HTTP for Humans.',
      'License: Apache 2.0',
      'Classifier: Development Status :: 5 - Production/Stable',
      'Classifier: License :: OSI Approved :: Apache Software License',
      'Classifier: License :: OSI Approved',
      'Requires-Dist: idna (<4,>=2.5)',
      '',
      'Name: not-this',
      'License: Nor this',
    ].join('\n');
    expect(pythonAnalyzer.parse(path, Buffer.from(metadata))).toEqual([
      { ecosystem: 'PyPI', name: 'requests', version: '2.31.0', licenses: ['Apache 2.0', 'Apache Software License'], path },
    ]);
  });

  it('prefers License-Expression', () => {
    const metadata = 'Metadata-Version: 2.4\nName: Flask\nVersion: 3.0.0\nLicense-Expression: BSD-3-Clause\nClassifier: License :: OSI Approved :: BSD License\n';
    expect(pythonAnalyzer.parse(path, Buffer.from(metadata))[0]?.licenses).toEqual(['BSD-3-Clause']);
  });

  it('ignores a License field holding the whole license text, and UNKNOWN', () => {
    const pasted = 'Name: x\nVersion: 1\nLicense: Copyright (c) 2020\n        Permission is hereby granted\nClassifier: License :: Public Domain\n';
    expect(pythonAnalyzer.parse(path, Buffer.from(pasted))[0]?.licenses).toEqual(['Public Domain']);
    expect(pythonAnalyzer.parse(path, Buffer.from('Name: y\nVersion: 2\nLicense: UNKNOWN\n'))).toEqual([{ ecosystem: 'PyPI', name: 'y', version: '2', path }]);
  });

  it('keeps the name as written', () => {
    expect(pythonAnalyzer.parse(path, Buffer.from('Name: Zope.Interface_X\nVersion: 6.1\n'))[0]?.name).toBe('Zope.Interface_X');
  });

  it('returns nothing for metadata without a name or version', () => {
    expect(pythonAnalyzer.parse(path, Buffer.from('Name: x\n'))).toEqual([]);
    expect(pythonAnalyzer.parse(path, Buffer.alloc(0))).toEqual([]);
  });
});

describe('pythonAnalyzer on this machine', () => {
  it('reads every installed distribution in the system dist-packages', async () => {
    const { existsSync, readdirSync, readFileSync, statSync } = await import('node:fs');
    const root = '/usr/lib/python3/dist-packages';
    if (!existsSync(root)) return;
    const files = readdirSync(root)
      .map((entry) => `${root}/${entry}`)
      .flatMap((p) => (p.endsWith('.dist-info') ? [`${p}/METADATA`] : p.endsWith('.egg-info') ? [statSync(p).isDirectory() ? `${p}/PKG-INFO` : p] : []))
      .filter((p) => existsSync(p));
    for (const file of files) {
      const rel = file.slice(1);
      expect(pythonAnalyzer.wants(rel, info)).toBe(true);
      const [pkg] = pythonAnalyzer.parse(rel, readFileSync(file));
      const dir = file.slice(root.length + 1).split('/')[0]!;
      // The directory is named <name>[-<version>], with the name's punctuation sometimes rewritten.
      const norm = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');
      expect(norm(dir).startsWith(norm(pkg?.name ?? '?'))).toBe(true);
      expect(pkg?.version).toMatch(/^\d/);
    }
  });
});
