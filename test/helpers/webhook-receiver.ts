import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, exactly as it arrived. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

/** The status to answer, or `hang` to never answer (until the receiver closes). */
export type Answer = number | 'hang' | { status: number; body?: string };
export type Responder = (req: ReceivedRequest, index: number) => Answer | Promise<Answer>;

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  requests: ReceivedRequest[];
  /** Changes how later requests are answered. */
  respond: Responder;
  /** The requests so far once `predicate` holds for them (default: at least `n` requests). */
  waitFor(n: number, what?: string, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Requests carrying `X-Berth-Delivery: <id>`. */
  forDelivery(id: number | string): ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A webhook receiver on loopback standing in for a service that cannot run here: it records method, path,
 * headers and body of every request and answers as `respond` says (200 by default). With `tls`, it serves https
 * (its `url` then starts with https://).
 */
export async function startWebhookReceiver(respond: Responder = () => 200, options: { tls?: { key: Buffer; cert: Buffer } } = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    requests,
    respond,
    async waitFor(n, what = `${n} webhook requests`, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${requests.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return [...requests];
    },
    forDelivery: (id) => requests.filter((r) => r.headers['x-berth-delivery'] === String(id)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), receivedAt: Date.now() };
      requests.push(received);
      const answer = await receiver.respond(received, requests.length - 1);
      if (answer === 'hang') return;
      const { status, body } = typeof answer === 'number' ? { status: answer, body: undefined } : answer;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body ?? JSON.stringify({ received: true }));
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** Whether `X-Berth-Signature-256` is the HMAC-SHA256 of the body as received, with `secret` (checked as a receiver would). */
export function validSignature(req: ReceivedRequest, secret: string): boolean {
  const header = req.headers['x-berth-signature-256'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(req.body).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const jsonOf = <T = Record<string, any>>(req: ReceivedRequest): T => JSON.parse(req.body.toString('utf8')) as T;
