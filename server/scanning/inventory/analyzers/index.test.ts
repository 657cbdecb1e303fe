import { describe, expect, it } from 'vitest';
import { builtinAnalyzers, osReleasePaths, parseOsRelease } from './index.ts';

describe('builtinAnalyzers', () => {
  it('lists each analyzer once, by a unique id', () => {
    expect(builtinAnalyzers.map((a) => a.id)).toEqual(['dpkg', 'apk', 'npm-package', 'npm-lockfile', 'python', 'go-binary']);
  });

  it('routes each well-known file to exactly the analyzer that reads it', () => {
    const file = { executable: false, size: 4096 };
    const routes: Record<string, string[]> = {
      'var/lib/dpkg/status': ['dpkg'],
      'var/lib/dpkg/status.d/tzdata': ['dpkg'],
      'lib/apk/db/installed': ['apk'],
      'app/node_modules/express/package.json': ['npm-package'],
      'app/package-lock.json': ['npm-lockfile'],
      'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA': ['python'],
      'etc/os-release': [],
      'app/package.json': [],
    };
    for (const [path, ids] of Object.entries(routes)) {
      expect(builtinAnalyzers.filter((a) => a.wants(path, file)).map((a) => a.id), path).toEqual(ids);
    }
    expect(builtinAnalyzers.filter((a) => a.wants('usr/local/bin/app', { executable: true, size: 4096 })).map((a) => a.id)).toEqual(['go-binary']);
  });

  it('re-exports the os-release reader', () => {
    expect(osReleasePaths[0]).toBe('etc/os-release');
    expect(parseOsRelease(Buffer.from('ID=alpine\n')).id).toBe('alpine');
  });
});
