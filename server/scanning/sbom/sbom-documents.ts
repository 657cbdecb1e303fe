import { createHash } from 'node:crypto';
import type { ImageInventory } from '../inventory/image-inventory.ts';
import type { InstalledPackage } from '../inventory/package.ts';
import { builtinScannerIdentity } from '../scanners/builtin-scanner.ts';
import { purlOf } from './purl.ts';

export const cyclonedxMediaType = 'application/vnd.cyclonedx+json';
export const spdxMediaType = 'application/spdx+json';

/** What an SBOM describes: the image as stored, and when it was built (documents are reproducible from these). */
export interface SbomSubject {
  repository: string;
  digest: string;
  /** The image's `created` time, else the epoch: the same image always yields the same documents. */
  created: string;
}

/** A UUID derived from the subject, so regenerating an SBOM for the same image gives the same document. */
function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

const spdxLicense = (licenses: string[] | undefined): string => {
  if (!licenses?.length) return 'NOASSERTION';
  // Only identifiers that look like SPDX ids make an expression; free text would make the document invalid.
  return licenses.every((l) => /^[A-Za-z0-9.+-]+$/.test(l)) ? licenses.join(' AND ') : 'NOASSERTION';
};

const isOs = (p: InstalledPackage): boolean => p.ecosystem === 'Debian' || p.ecosystem === 'Ubuntu' || p.ecosystem === 'Alpine' || p.ecosystem === 'RPM';

/** CycloneDX 1.5 JSON: the image as the metadata component, the OS and each package as components. */
export function cyclonedxDocument(subject: SbomSubject, inventory: ImageInventory): Record<string, unknown> {
  const imageRef = `${subject.repository}@${subject.digest}`;
  const components: Array<Record<string, unknown>> = [];
  if (inventory.os) components.push({ type: 'operating-system', 'bom-ref': `os:${inventory.os.id}`, name: inventory.os.id, ...(inventory.os.versionId ? { version: inventory.os.versionId } : {}), ...(inventory.os.prettyName ? { description: inventory.os.prettyName } : {}) });
  const seen = new Set<string>();
  for (const p of inventory.packages) {
    const purl = purlOf(p, inventory.os);
    const ref = seen.has(purl) ? `${purl}#${p.path}` : purl;
    seen.add(purl);
    components.push({
      type: 'library',
      'bom-ref': ref,
      name: p.name,
      version: p.version,
      purl,
      ...(p.licenses?.length ? { licenses: p.licenses.map((name) => ({ license: { name } })) } : {}),
      properties: [
        { name: 'berth:package:ecosystem', value: p.ecosystem },
        { name: 'berth:package:path', value: p.path },
        ...(p.sourceName ? [{ name: 'berth:package:source_name', value: p.sourceName }] : []),
        ...(p.sourceVersion ? [{ name: 'berth:package:source_version', value: p.sourceVersion }] : []),
      ],
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${stableUuid(`cyclonedx:${imageRef}`)}`,
    version: 1,
    metadata: {
      timestamp: subject.created,
      tools: { components: [{ type: 'application', name: builtinScannerIdentity.name, version: builtinScannerIdentity.version }] },
      component: { type: 'container', 'bom-ref': imageRef, name: subject.repository, version: subject.digest },
    },
    components,
    dependencies: [{ ref: imageRef, dependsOn: components.map((c) => c['bom-ref'] as string) }],
  };
}

/** SPDX 2.3 JSON: the image as the described package, containing one package per inventory entry. */
export function spdxDocument(subject: SbomSubject, inventory: ImageInventory): Record<string, unknown> {
  const imageRef = `${subject.repository}@${subject.digest}`;
  const packages = inventory.packages.map((p, i) => ({
    SPDXID: `SPDXRef-Package-${i + 1}`,
    name: p.name,
    versionInfo: p.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: spdxLicense(p.licenses),
    copyrightText: 'NOASSERTION',
    ...(isOs(p) && p.sourceName ? { sourceInfo: `built from source package ${p.sourceName} ${p.sourceVersion ?? ''}`.trim() } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purlOf(p, inventory.os) }],
    comment: `found in ${p.path}`,
  }));
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: imageRef,
    documentNamespace: `https://berth.invalid/spdx/${stableUuid(`spdx:${imageRef}`)}`,
    creationInfo: { created: subject.created, creators: [`Tool: ${builtinScannerIdentity.name}-${builtinScannerIdentity.version}`] },
    packages: [
      { SPDXID: 'SPDXRef-Image', name: subject.repository, versionInfo: subject.digest, downloadLocation: 'NOASSERTION', filesAnalyzed: false, licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION', primaryPackagePurpose: 'CONTAINER' },
      ...packages,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
      ...packages.map((p) => ({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
    ],
  };
}
