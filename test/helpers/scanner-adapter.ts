import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VulnerabilityReport } from '../../server/scanning/reports.ts';

/** What the adapter was asked to scan, and what it saw when it pulled the manifest with the credential it was handed. */
export interface AdapterScanRecord {
  request: { registry: { url: string; authorization: string }; artifact: { repository: string; digest: string; tag?: string; mime_type: string } };
  authorization: string | undefined;
  /** Status of GET /v2/<repository>/manifests/<digest> made with the handed credential. */
  pullStatus: number;
  /** Status of a blob upload attempt made with it (a pull-only credential must be refused). */
  pushStatus: number;
  polls: number;
}

export interface TestScannerAdapter {
  url: string;
  scans: AdapterScanRecord[];
  /** How many 302s a report poll answers before the report (Infinity: never ready). */
  pendingPolls: number;
  close(): Promise<void>;
}

const read = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * A scanner adapter on loopback following Harbor's pluggable scanner API (v1.1): metadata, a scan request
 * answered 202 with an id, report polls answered 302 with `Refresh-After: 1` `pendingPolls` times, then the
 * report. It checks the registry credential it is handed for real: a pull with it, and a push attempt.
 */
export async function startScannerAdapter(report: (artifact: AdapterScanRecord['request']['artifact']) => VulnerabilityReport, options: { apiKey?: string } = {}): Promise<TestScannerAdapter> {
  const state: TestScannerAdapter = { url: '', scans: [], pendingPolls: 1, close: async () => undefined };
  const server = createServer(async (req, res) => {
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (options.apiKey && req.headers['x-scanneradapter-api-key'] !== options.apiKey) return send(401, { error: { message: 'bad api key' } });
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/api/v1/metadata') {
      return send(200, {
        scanner: { name: 'Fake Trivy', vendor: 'Berth tests', version: '0.9.0' },
        capabilities: [{ consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json'], produces_mime_types: ['application/vnd.security.vulnerability.report; version=1.1'] }],
        properties: { 'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability' },
      });
    }
    if (req.method === 'POST' && url === '/api/v1/scan') {
      const request = JSON.parse(await read(req)) as AdapterScanRecord['request'];
      const { registry, artifact } = request;
      const pull = await fetch(`${registry.url}/v2/${artifact.repository}/manifests/${artifact.digest}`, { headers: { authorization: registry.authorization, accept: artifact.mime_type } });
      await pull.arrayBuffer();
      const push = await fetch(`${registry.url}/v2/${artifact.repository}/blobs/uploads/`, { method: 'POST', headers: { authorization: registry.authorization } });
      await push.arrayBuffer();
      state.scans.push({ request, authorization: req.headers.authorization, pullStatus: pull.status, pushStatus: push.status, polls: 0 });
      return send(202, { id: `scan-${state.scans.length}` });
    }
    const m = /^\/api\/v1\/scan\/scan-(\d+)\/report$/.exec(url);
    if (req.method === 'GET' && m) {
      const scan = state.scans[Number(m[1]) - 1];
      if (!scan) return send(404, { error: { message: 'unknown scan' } });
      scan.polls++;
      if (scan.polls <= state.pendingPolls) return send(302, undefined, { 'Refresh-After': '1' });
      return send(200, report(scan.request.artifact));
    }
    send(404, { error: { message: 'no such endpoint' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
