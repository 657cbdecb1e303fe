import type { Knex } from 'knex';
import { artifactsRepo } from '../../artifacts/artifacts.repo.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { parseManifest } from '../../registry/manifest-parser.ts';
import { matchInventory } from '../advisories/advisory-matcher.ts';
import { advisoriesRepo } from '../advisories/advisories.repo.ts';
import { builtinAnalyzers } from '../inventory/analyzers/index.ts';
import { loadRpmAnalyzer } from '../inventory/analyzers/rpm.analyzer.ts';
import { imageInventory, type LayerSource } from '../inventory/image-inventory.ts';
import type { FileAnalyzer } from '../inventory/package.ts';
import { LayerFormatError } from '../inventory/tar-walk.ts';
import { severityOrder, vulnerabilityReportType, type VulnerabilityReport } from '../reports.ts';
import { ScanInputError, type ScanContext, type Scanner, type ScannerMetadata, type ScanOutcome, type ScanTarget } from './scanner.ts';

export const builtinScannerIdentity = { name: 'Berth', vendor: 'Berth', version: '0.1.0' } as const;

/** The media types the built-in scanner reads, as its metadata advertises them. */
const consumes = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

/** The highest severity among findings (Harbor's overall `severity`), `None` when there are none. */
export function overallSeverity(vulnerabilities: VulnerabilityReport['vulnerabilities']): VulnerabilityReport['severity'] {
  let worst = 0;
  for (const v of vulnerabilities) worst = Math.max(worst, severityOrder.indexOf(v.severity));
  return severityOrder[worst]!;
}

/**
 * The scanner built into Berth, for registries that cannot reach a vulnerability feed: it reads the image's
 * layers straight from blob storage (streamed, decompressed on the fly, never unpacked), inventories the final
 * filesystem, and matches the inventory against the OSV advisories imported into the database.
 */
export class BuiltinScanner implements Scanner {
  private analyzers: Promise<readonly FileAnalyzer[]> | undefined;

  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly limits: { maxLayerBytes: number },
  ) {}

  async metadata(): Promise<ScannerMetadata> {
    const updated = await advisoriesRepo.lastChange(this.db);
    return {
      scanner: { ...builtinScannerIdentity },
      capabilities: [
        { type: 'vulnerability', consumes_mime_types: consumes, produces_mime_types: [vulnerabilityReportType] },
        { type: 'sbom', consumes_mime_types: consumes, produces_mime_types: ['application/vnd.goharbor.harbor.sbom.v1'] },
      ],
      // Harbor's portal shows the adapter's database age from this property.
      properties: {
        'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
        ...(updated ? { 'harbor.scanner-adapter/vulnerability-database-updated-at': updated.toISOString() } : {}),
      },
    };
  }

  private loadAnalyzers(): Promise<readonly FileAnalyzer[]> {
    this.analyzers ??= loadRpmAnalyzer().then((rpm) => [...builtinAnalyzers, rpm]);
    return this.analyzers;
  }

  async scan(target: ScanTarget, context: ScanContext): Promise<ScanOutcome> {
    const body = await artifactsRepo.manifestBytes(this.db, target.digest);
    if (!body) throw new ScanInputError(`manifest ${target.digest} is not stored`);
    const manifest = parseManifest(body, target.mediaType);
    if (manifest.kind !== 'image') throw new ScanInputError(`${target.mediaType} is not an image manifest`);
    const layers: LayerSource[] = manifest.layers.map((l) => ({
      digest: l.digest,
      mediaType: l.mediaType,
      size: l.size,
      open: async () => {
        if ((await this.blobs.size(l.digest)) === null) throw new ScanInputError(`layer ${l.digest} is not in storage (a foreign or missing layer)`);
        return (await this.blobs.open(l.digest)) as AsyncIterable<Buffer>;
      },
    }));
    const started = Date.now();
    let inventory;
    try {
      inventory = await imageInventory(layers, await this.loadAnalyzers(), { maxLayerBytes: this.limits.maxLayerBytes, checkpoint: () => context.signal.throwIfAborted() });
    } catch (err) {
      if (err instanceof LayerFormatError) throw new ScanInputError(err.message);
      throw err;
    }
    context.log(`inventory: ${inventory.packages.length} packages in ${inventory.layers.length} layers${inventory.os ? ` on ${inventory.os.prettyName ?? inventory.os.id}` : ''} (${Date.now() - started} ms)`);
    for (const w of inventory.warnings.slice(0, 50)) context.log(`warning: ${w}`);
    const vulnerabilities = await matchInventory(this.db, inventory.packages, inventory.os);
    context.log(`matched ${vulnerabilities.length} vulnerabilities`);
    return {
      inventory,
      report: {
        generated_at: new Date().toISOString(),
        artifact: { repository: target.repository, digest: target.digest, mime_type: target.mediaType, ...(target.tag ? { tag: target.tag } : {}) },
        scanner: { ...builtinScannerIdentity },
        severity: overallSeverity(vulnerabilities),
        vulnerabilities,
      },
    };
  }
}
