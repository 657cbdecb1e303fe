import net from 'node:net';

/**
 * A raw HTTP/1.1 client over node:net, for requests that fetch would not send as written: fetch resolves `..` and
 * `%2e%2e` in paths, refuses a Content-Length that lies and never sends a truncated body.
 */

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation, no encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Declare this Content-Length but send only `body`, then half-close the connection (a client that died). */
  declaredLength?: number;
  /** Send `body` as chunked transfer encoding; with `truncateChunked`, stop before the terminating chunk. */
  chunked?: boolean;
  truncateChunked?: boolean;
}

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The request line and header block, exactly as given (headers in insertion order), ending with the blank line. */
export function formatHead(method: string, target: string, headers: Record<string, string>): string {
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString(), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseResponse(data: Buffer, method: string): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0) };
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] !== undefined ? `${headers[name]}, ${value}` : value;
  }
  let body = method === 'HEAD' ? Buffer.alloc(0) : data.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = decodeChunked(body);
  else if (headers['content-length'] !== undefined && method !== 'HEAD') body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body };
}

/** Writes one request to 127.0.0.1:`port` on its own connection and reads until the server closes it. */
export function sendRaw(port: number, req: RawRequest): Promise<RawResponse> {
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close', ...req.headers };
  if (req.chunked) headers['transfer-encoding'] = 'chunked';
  else if (req.declaredLength !== undefined) headers['content-length'] = String(req.declaredLength);
  else if (body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(req.method)) headers['content-length'] ??= String(body.length);
  const head = formatHead(req.method, req.path, headers);
  let payload: Buffer = body;
  if (req.chunked) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 64 * 1024) {
      const c = body.subarray(i, i + 64 * 1024);
      chunks.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    }
    if (!req.truncateChunked) chunks.push(Buffer.from('0\r\n\r\n'));
    payload = Buffer.concat(chunks);
  }
  const truncated = req.declaredLength !== undefined || req.truncateChunked === true;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 15 s to ${req.method} ${req.path}`));
    }, 15_000);
    socket.on('data', (d: Buffer) => received.push(d));
    // The server may answer (413, 401 ...) and close before reading the whole body; what it said still counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(received), req.method));
    });
    socket.write(head);
    socket.write(payload, () => {
      if (truncated) socket.end();
    });
  });
}
