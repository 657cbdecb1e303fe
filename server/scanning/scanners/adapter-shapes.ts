import type { Severity } from '../../policy/documents.ts';
import { severityOrder, type VulnerabilityReport } from '../reports.ts';
import { AdapterError } from './adapter-client.ts';
import type { ScannerMetadata } from './scanner.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max = 1000): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 100) : []);

/** An adapter's severity as one of Harbor's (an unknown word is `Unknown`, never dropped). */
const severityOf = (v: unknown): Severity => (typeof v === 'string' && (severityOrder as string[]).includes(v) ? (v as Severity) : 'Unknown');

function identity(v: unknown, what: string): ScannerMetadata['scanner'] {
  if (!isObject(v) || typeof v.name !== 'string' || !v.name) throw new AdapterError(`the scanner adapter's ${what} names no scanner`);
  return { name: v.name.slice(0, 255), vendor: str(v.vendor, 255) ?? '', version: str(v.version, 255) ?? '' };
}

/** Harbor's ScannerAdapterMetadata, checked: an adapter is another program and may answer anything. */
export function parseAdapterMetadata(doc: unknown): ScannerMetadata {
  if (!isObject(doc)) throw new AdapterError('the scanner adapter answered metadata that is not a JSON object');
  if (!Array.isArray(doc.capabilities)) throw new AdapterError("the scanner adapter's metadata lists no capabilities");
  const properties: Record<string, string> = {};
  if (isObject(doc.properties)) for (const [k, v] of Object.entries(doc.properties)) if (typeof v === 'string') properties[k.slice(0, 255)] = v.slice(0, 1000);
  return {
    scanner: identity(doc.scanner, 'metadata'),
    capabilities: doc.capabilities.filter(isObject).map((c) => ({
      ...(typeof c.type === 'string' ? { type: c.type } : {}),
      consumes_mime_types: strings(c.consumes_mime_types),
      produces_mime_types: strings(c.produces_mime_types),
    })),
    properties,
  };
}

/** A Harbor vulnerability report from an adapter, checked and normalised to what Berth stores. */
export function parseAdapterReport(doc: unknown): VulnerabilityReport {
  if (!isObject(doc)) throw new AdapterError('the scanner adapter answered a report that is not a JSON object');
  if (!Array.isArray(doc.vulnerabilities)) throw new AdapterError("the scanner adapter's report has no vulnerabilities list");
  const generated = typeof doc.generated_at === 'string' && !Number.isNaN(Date.parse(doc.generated_at)) ? doc.generated_at : new Date().toISOString();
  const vulnerabilities = doc.vulnerabilities.filter(isObject).map((v, i) => {
    if (typeof v.id !== 'string' || typeof v.package !== 'string') throw new AdapterError(`vulnerability ${i} of the adapter's report has no id or package`);
    const cvss = isObject(v.preferred_cvss) ? v.preferred_cvss : undefined;
    return {
      id: v.id.slice(0, 255),
      package: v.package.slice(0, 255),
      version: str(v.version, 255) ?? '',
      ...(str(v.fix_version, 255) ? { fix_version: str(v.fix_version, 255)! } : {}),
      severity: severityOf(v.severity),
      ...(str(v.description, 4000) ? { description: str(v.description, 4000)! } : {}),
      links: strings(v.links),
      ...(cvss
        ? {
            preferred_cvss: {
              ...(typeof cvss.score_v3 === 'number' ? { score_v3: cvss.score_v3 } : {}),
              ...(typeof cvss.score_v2 === 'number' ? { score_v2: cvss.score_v2 } : {}),
              ...(typeof cvss.vector_v3 === 'string' ? { vector_v3: cvss.vector_v3.slice(0, 255) } : {}),
              ...(typeof cvss.vector_v2 === 'string' ? { vector_v2: cvss.vector_v2.slice(0, 255) } : {}),
            },
          }
        : {}),
      cwe_ids: strings(v.cwe_ids),
      ...(isObject(v.vendor_attributes) ? { vendor_attributes: v.vendor_attributes } : {}),
    };
  });
  const artifact = isObject(doc.artifact) ? doc.artifact : undefined;
  const worst = vulnerabilities.reduce((w, v) => Math.max(w, severityOrder.indexOf(v.severity)), 0);
  return {
    generated_at: generated,
    ...(artifact
      ? { artifact: { ...(str(artifact.repository) ? { repository: str(artifact.repository)! } : {}), ...(str(artifact.digest, 200) ? { digest: str(artifact.digest, 200)! } : {}), ...(str(artifact.tag, 200) ? { tag: str(artifact.tag, 200)! } : {}), ...(str(artifact.mime_type) ? { mime_type: str(artifact.mime_type)! } : {}) } }
      : {}),
    scanner: identity(doc.scanner, 'report'),
    // The overall severity is recomputed: it must agree with the findings the gates read.
    severity: vulnerabilities.length ? severityOrder[worst]! : 'None',
    vulnerabilities,
  };
}
