import http from 'node:http';
import https from 'node:https';

export interface WebhookRequest {
  address: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  /** Accept any certificate from an https receiver (the policy's `skip_cert_verify`). */
  skipCertVerify: boolean;
  /** Aborts the request (the job's signal: shutdown or the job's own time limit). */
  signal: AbortSignal;
}

export interface WebhookResponse {
  /** The receiver's status code, or null when no response came (network error, timeout, abort). */
  statusCode: number | null;
  /** Why the attempt failed, or null when the receiver answered 2xx. */
  error: string | null;
  durationMs: number;
}

// A receiver's answer is only looked at for the error message; the rest is read and dropped.
const keptResponseBytes = 512;

/** Why a request did not get an answer, in words for the delivery log. */
function describeFailure(err: unknown, timeout: AbortSignal, timeoutMs: number, signal: AbortSignal): string {
  if (timeout.aborted) return `no answer within ${timeoutMs} ms (timeout)`;
  if (signal.aborted) return `aborted: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason)}`;
  const e = err as NodeJS.ErrnoException;
  return [e.code, e.message].filter(Boolean).join(': ').slice(0, 500) || 'request failed';
}

/**
 * POSTs one webhook body. Never throws: every outcome is a response to record. 2xx is success; any other status,
 * a network error, a timeout or an abort is a failed attempt. Redirects are not followed (a receiver that moved
 * answers 3xx, which the log shows).
 */
export function sendWebhook(req: WebhookRequest): Promise<WebhookResponse> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = AbortSignal.any([timeout, req.signal]);
  const url = new URL(req.address);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      resolve({ statusCode, error, durationMs: Math.round(performance.now() - started) });
    };
    let request: http.ClientRequest;
    try {
      request = transport.request(
        url,
        {
          method: 'POST',
          headers: { ...req.headers, 'content-length': String(req.body.length) },
          signal,
          agent: false,
          ...(url.protocol === 'https:' ? { rejectUnauthorized: !req.skipCertVerify } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const kept: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < keptResponseBytes) kept.push(chunk.subarray(0, keptResponseBytes - size));
            size += chunk.length;
          });
          res.on('error', (err) => finish(status, describeFailure(err, timeout, req.timeoutMs, req.signal)));
          // After 'end' this changes nothing; without it, the answer was cut off.
          res.on('close', () => finish(status, describeFailure(new Error('the response was cut off'), timeout, req.timeoutMs, req.signal)));
          res.on('end', () => {
            if (status >= 200 && status < 300) return finish(status, null);
            const text = Buffer.concat(kept).toString('utf8').replace(/\s+/g, ' ').trim();
            finish(status, `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
          });
        },
      );
    } catch (err) {
      // Refused before anything was sent (an address or header Node cannot send).
      return finish(null, describeFailure(err, timeout, req.timeoutMs, req.signal));
    }
    request.on('error', (err) => finish(null, describeFailure(err, timeout, req.timeoutMs, req.signal)));
    request.end(req.body);
  });
}
