import { Agent, fetch as undiciFetch } from 'undici';
import { vulnerabilityReportType, type VulnerabilityReport } from '../reports.ts';
import { ScanInputError, type ScanContext, type Scanner, type ScannerMetadata, type ScanOutcome, type ScanTarget } from './scanner.ts';
import { parseAdapterMetadata, parseAdapterReport } from './adapter-shapes.ts';

const metadataType = 'application/vnd.scanner.adapter.metadata+json; version=1.0';
const scanRequestType = 'application/vnd.scanner.adapter.scan.request+json; version=1.0';
const scanResponseType = 'application/vnd.scanner.adapter.scan.response+json; version=1.0';

/** How Berth reaches one registered adapter. */
export interface AdapterEndpoint {
  url: string;
  /** '', `Basic`, `Bearer` or `X-ScannerAdapter-API-Key` (Harbor's choices). */
  auth: string;
  credential: string;
  skipCertVerify: boolean;
}

/** What the adapter is told about the registry: where it is and a credential that may only pull the artifact. */
export interface RegistryGrant {
  url: string;
  authorization: string;
}

/** The adapter answered something the protocol does not allow, or could not be reached. */
export class AdapterError extends Error {
  override name = 'AdapterError';
}

const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

/** The Authorization (or API key) header Harbor sends for each auth type. */
function authHeaders(endpoint: AdapterEndpoint): Record<string, string> {
  if (!endpoint.auth || !endpoint.credential) return {};
  if (endpoint.auth === 'X-ScannerAdapter-API-Key') return { 'X-ScannerAdapter-API-Key': endpoint.credential };
  if (endpoint.auth === 'Basic') {
    // Given as `user:password` or already encoded.
    const value = endpoint.credential.includes(':') ? Buffer.from(endpoint.credential).toString('base64') : endpoint.credential;
    return { Authorization: `Basic ${value}` };
  }
  return { Authorization: `${endpoint.auth} ${endpoint.credential}` };
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
  });

async function errorText(res: Response): Promise<string> {
  const text = (await res.text().catch(() => '')).slice(0, 2000);
  try {
    const doc = JSON.parse(text) as { error?: { message?: string } };
    if (doc.error?.message) return doc.error.message;
  } catch {
    // not JSON: the text itself is the best reason there is
  }
  return text || res.statusText;
}

/**
 * A scanner adapter speaking Harbor's pluggable scanner API (v1.1/v1.2): metadata, a scan request that answers
 * 202 with an id, then report polling that answers 302 with `Refresh-After` until the report is ready. The
 * adapter pulls the artifact itself with the short-lived, pull-only token it is handed.
 */
export class AdapterScanner implements Scanner {
  constructor(
    private readonly endpoint: AdapterEndpoint,
    private readonly grant: (repository: string) => RegistryGrant,
    private readonly options: { requestTimeoutMs: number; maxPollSeconds: number } = { requestTimeoutMs: 10_000, maxPollSeconds: 60 },
  ) {}

  private async call(path: string, init: RequestInit & { accept: string }, signal?: AbortSignal): Promise<Response> {
    const url = `${this.endpoint.url.replace(/\/+$/, '')}/api/v1${path}`;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    try {
      const request = {
        method: init.method,
        body: init.body as string | undefined,
        redirect: 'manual' as const,
        headers: { Accept: init.accept, ...authHeaders(this.endpoint), ...(init.headers as Record<string, string> | undefined) },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      };
      // undici's own fetch takes a dispatcher that skips certificate checks (Harbor's skip_certVerify).
      if (this.endpoint.skipCertVerify && url.startsWith('https:')) return (await undiciFetch(url, { ...request, dispatcher: insecureAgent })) as unknown as Response;
      return await fetch(url, request);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new AdapterError(`the scanner adapter at ${this.endpoint.url} could not be reached: ${cause}`);
    }
  }

  async metadata(signal?: AbortSignal): Promise<ScannerMetadata> {
    const res = await this.call('/metadata', { method: 'GET', accept: metadataType }, signal);
    if (res.status !== 200) throw new AdapterError(`the scanner adapter answered ${res.status} to GET /api/v1/metadata: ${await errorText(res)}`);
    return parseAdapterMetadata(await res.json().catch(() => null));
  }

  async scan(target: ScanTarget, context: ScanContext): Promise<ScanOutcome> {
    const grant = this.grant(target.repository);
    const request = {
      registry: { url: grant.url, authorization: grant.authorization },
      artifact: { repository: target.repository, digest: target.digest, mime_type: target.mediaType, ...(target.tag ? { tag: target.tag } : {}) },
      enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [vulnerabilityReportType] }],
    };
    const res = await this.call('/scan', { method: 'POST', accept: scanResponseType, headers: { 'Content-Type': scanRequestType }, body: JSON.stringify(request) }, context.signal);
    if (res.status === 422 || res.status === 400) throw new ScanInputError(`the scanner adapter refused the artifact (${res.status}): ${await errorText(res)}`);
    if (res.status !== 202) throw new AdapterError(`the scanner adapter answered ${res.status} to POST /api/v1/scan: ${await errorText(res)}`);
    const { id } = ((await res.json().catch(() => ({}))) ?? {}) as { id?: unknown };
    if (typeof id !== 'string' || !id || id.length > 256) throw new AdapterError('the scanner adapter accepted the scan without a usable request id');
    context.log(`adapter accepted the scan as ${id}`);
    const deadline = Date.now() + this.options.maxPollSeconds * 1000;
    for (;;) {
      const poll = await this.call(`/scan/${encodeURIComponent(id)}/report`, { method: 'GET', accept: vulnerabilityReportType }, context.signal);
      if (poll.status === 200) return { report: this.checkReport(await poll.json().catch(() => null), target) };
      if (poll.status === 302) {
        await poll.body?.cancel();
        const after = Number(poll.headers.get('refresh-after'));
        const waitSeconds = Number.isFinite(after) && after >= 0 ? Math.min(after, 60) : 5;
        if (Date.now() + waitSeconds * 1000 > deadline) throw new AdapterError(`the scanner adapter had no report for ${id} within ${this.options.maxPollSeconds} s`);
        await sleep(waitSeconds * 1000, context.signal);
        continue;
      }
      if (poll.status === 404) throw new AdapterError(`the scanner adapter no longer knows scan ${id}`);
      throw new AdapterError(`the scanner adapter's scan failed (${poll.status}): ${await errorText(poll)}`);
    }
  }

  private checkReport(doc: unknown, target: ScanTarget): VulnerabilityReport {
    const report = parseAdapterReport(doc);
    if (report.artifact?.digest && report.artifact.digest !== target.digest) throw new AdapterError(`the scanner adapter's report is about ${report.artifact.digest.slice(0, 80)}, not ${target.digest}`);
    return report;
  }
}
