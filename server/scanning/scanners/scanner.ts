import type { VulnerabilityReport } from '../reports.ts';
import type { ImageInventory } from '../inventory/image-inventory.ts';

/** Harbor's `Scanner`: who made a report. */
export interface ScannerIdentity {
  name: string;
  vendor: string;
  version: string;
}

/** What an adapter says of itself (`GET /api/v1/metadata`): Harbor's ScannerAdapterMetadata. */
export interface ScannerMetadata {
  scanner: ScannerIdentity;
  capabilities: Array<{ type?: string; consumes_mime_types: string[]; produces_mime_types: string[] }>;
  properties?: Record<string, string>;
}

/** One image manifest to scan (an index's children are scanned one by one). */
export interface ScanTarget {
  /** Full repository name (`<project>/<repository>`). */
  repository: string;
  digest: string;
  mediaType: string;
  tag?: string;
}

export interface ScanContext {
  signal: AbortSignal;
  /** Appends to the scan's log (Harbor's scan log endpoint shows it). */
  log(line: string): void;
}

/** What a scan produced: the report, and, for the built-in scanner, the inventory an SBOM is made from. */
export interface ScanOutcome {
  report: VulnerabilityReport;
  inventory?: ImageInventory;
}

/**
 * A scanner Berth can call: the built-in one, or an external adapter speaking Harbor's pluggable scanner API.
 * `scan` resolves with the report or rejects with an Error whose message is the reason shown to users; a
 * `ScanInputError` means the artifact itself cannot be scanned, and retrying would not help.
 */
export interface Scanner {
  metadata(signal?: AbortSignal): Promise<ScannerMetadata>;
  scan(target: ScanTarget, context: ScanContext): Promise<ScanOutcome>;
}

/** The artifact cannot be scanned as it is (a corrupt or hostile layer, an unsupported media type). */
export class ScanInputError extends Error {
  override name = 'ScanInputError';
}
