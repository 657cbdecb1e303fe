import type { FileAnalyzer, InstalledPackage } from '../package.ts';
import { field, parseStanzas, type StanzaField } from './stanzas.ts';

/**
 * Installed distributions' core metadata: wheels' `*.dist-info/METADATA`, setuptools' `*.egg-info/PKG-INFO`,
 * and the single-file `*.egg-info` that older installs (and Debian's python3-* packages) leave.
 */
const metadataFile = /(?:^|\/)[^/]+(?:\.dist-info\/METADATA|\.egg-info\/PKG-INFO|\.egg-info)$/;

/** Values some tools write when the author gave no license. */
const noLicense = new Set(['', 'unknown', 'none', 'n/a']);

/**
 * Licenses from, in order of trust: `License-Expression` (SPDX, metadata 2.4), else the `License:` field when
 * it is a short name (many projects paste the whole license text there), plus `License ::` classifiers.
 */
function licensesOf(headers: StanzaField[]): string[] | undefined {
  const expression = field(headers, 'License-Expression');
  if (expression && !noLicense.has(expression.toLowerCase())) return [expression];
  const found: string[] = [];
  const license = field(headers, 'License');
  if (license && !license.includes('\n') && license.length <= 100 && !noLicense.has(license.toLowerCase())) found.push(license);
  for (const f of headers) {
    if (f.name.toLowerCase() !== 'classifier') continue;
    const parts = f.value.split('::').map((p) => p.trim());
    // `License :: OSI Approved` alone says only that some approved license applies.
    if (parts[0] !== 'License' || parts.length < 2 || (parts.length === 2 && parts[1] === 'OSI Approved')) continue;
    const name = parts[parts.length - 1]!;
    if (name !== '' && !found.includes(name)) found.push(name);
  }
  return found.length > 0 ? found : undefined;
}

/** Reads one installed Python distribution from its core metadata headers. */
export const pythonAnalyzer: FileAnalyzer = {
  id: 'python',
  maxBytes: 8 * 1024 * 1024,
  wants(path) {
    return metadataFile.test(path);
  },
  parse(path, content) {
    // The headers end at the first blank line; what follows is the long description.
    const headers = parseStanzas(content.toString('utf8'), 1)[0] ?? [];
    const name = field(headers, 'Name');
    const version = field(headers, 'Version');
    if (!name || !version) return [];
    const pkg: InstalledPackage = { ecosystem: 'PyPI', name, version, path };
    const licenses = licensesOf(headers);
    if (licenses) pkg.licenses = licenses;
    return [pkg];
  },
};
