/**
 * Every failure the client reports, classified so callers can act on the class rather than on messages: the CLI
 * maps each kind to its own exit code, the Action to a failed step with the reason.
 */
export type ClientErrorKind =
  /** The server could not be reached (refused, DNS, TLS, timeout). */
  | 'network'
  /** 401, or 403 from the registry or API: the credentials are missing, wrong or lack the permission. */
  | 'auth'
  /** A policy said no: a refused promotion or gate, an immutable tag, a quota (412 PROJECTPOLICYVIOLATION and kin). */
  | 'policy'
  | 'not-found'
  /** The request was wrong (400, 409, 413, 416): a bad reference, a bad document. */
  | 'invalid'
  /** Anything else the server answered with (5xx), or an answer that is not what the protocol says. */
  | 'server';

export class ClientError extends Error {
  constructor(
    readonly kind: ClientErrorKind,
    message: string,
    readonly status?: number,
    /** The first error code of an OCI or Harbor error body, when the server sent one. */
    readonly code?: string,
    /** The error body's `detail` (a refused promotion carries its gates here). */
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export const isClientError = (e: unknown): e is ClientError => e instanceof ClientError;

function kindOf(status: number, code: string | undefined): ClientErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 412 || code === 'PROJECTPOLICYVIOLATION') return 'policy';
  if (status >= 400 && status < 500) return 'invalid';
  return 'server';
}

interface ErrorBody {
  errors?: Array<{ code?: string; message?: string; detail?: unknown }>;
}

/** A ClientError from a non-success response, reading the OCI or Harbor error body (both are `{errors: [...]}`). */
export async function errorFromResponse(res: Response, what: string): Promise<ClientError> {
  let body: ErrorBody | undefined;
  const text = await res.text().catch(() => '');
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = undefined;
  }
  const first = body?.errors?.[0];
  const message = first?.message ?? (text.trim().slice(0, 300) || res.statusText);
  return new ClientError(kindOf(res.status, first?.code), `${what}: ${res.status} ${first?.code ? `${first.code} ` : ''}${message}`, res.status, first?.code, first?.detail);
}

/** Wraps a fetch failure (no response at all) as a network error naming the address. */
export function networkError(url: string, err: unknown): ClientError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  return new ClientError('network', `cannot reach ${new URL(url).origin}: ${reason}`);
}
