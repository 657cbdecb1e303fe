/**
 * The one error table. Domain code throws `BerthError` with a code from this table; each API surface
 * renders it in its own envelope (`/v2` the OCI shape, `/api/v2.0` Harbor's). No handler writes an
 * error body itself.
 */
export interface ErrorDescriptor {
  /** HTTP status for this error. */
  status: number;
  /** The OCI Distribution spec code used on `/v2`. */
  oci: string;
  /** Harbor's code used on `/api/v2.0`. */
  harbor: string;
  /** Default message when none is given. */
  message: string;
}

export const errorTable = {
  BLOB_UNKNOWN: { status: 404, oci: 'BLOB_UNKNOWN', harbor: 'NOT_FOUND', message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, oci: 'BLOB_UPLOAD_INVALID', harbor: 'BAD_REQUEST', message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, oci: 'BLOB_UPLOAD_UNKNOWN', harbor: 'NOT_FOUND', message: 'blob upload unknown to registry' },
  RANGE_INVALID: { status: 416, oci: 'BLOB_UPLOAD_INVALID', harbor: 'BAD_REQUEST', message: 'requested range not satisfiable' },
  RANGE_NOT_SATISFIABLE: { status: 416, oci: 'UNSUPPORTED', harbor: 'BAD_REQUEST', message: 'requested range not satisfiable' },
  DIGEST_INVALID: { status: 400, oci: 'DIGEST_INVALID', harbor: 'BAD_REQUEST', message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, oci: 'MANIFEST_BLOB_UNKNOWN', harbor: 'BAD_REQUEST', message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, oci: 'MANIFEST_INVALID', harbor: 'BAD_REQUEST', message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, oci: 'MANIFEST_UNKNOWN', harbor: 'NOT_FOUND', message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, oci: 'NAME_INVALID', harbor: 'BAD_REQUEST', message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, oci: 'NAME_UNKNOWN', harbor: 'NOT_FOUND', message: 'repository name not known to registry' },
  TAG_INVALID: { status: 400, oci: 'MANIFEST_INVALID', harbor: 'BAD_REQUEST', message: 'invalid tag' },
  SIZE_INVALID: { status: 400, oci: 'SIZE_INVALID', harbor: 'BAD_REQUEST', message: 'provided length did not match content length' },
  TOO_LARGE: { status: 413, oci: 'SIZE_INVALID', harbor: 'BAD_REQUEST', message: 'request body too large' },
  UNAUTHORIZED: { status: 401, oci: 'UNAUTHORIZED', harbor: 'UNAUTHORIZED', message: 'authentication required' },
  DENIED: { status: 403, oci: 'DENIED', harbor: 'FORBIDDEN', message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 415, oci: 'UNSUPPORTED', harbor: 'UNSUPPORTED_MEDIA_TYPE', message: 'the operation is unsupported' },
  ROUTE_UNKNOWN: { status: 404, oci: 'UNSUPPORTED', harbor: 'NOT_FOUND', message: 'no such API endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, oci: 'UNSUPPORTED', harbor: 'METHOD_NOT_ALLOWED', message: 'method not allowed' },
  TOOMANYREQUESTS: { status: 429, oci: 'TOOMANYREQUESTS', harbor: 'TOO_MANY_REQUESTS', message: 'too many requests' },
  // The spec's table has no pagination code (Distribution's PAGINATION_NUMBER_INVALID is not in it).
  PAGINATION_NUMBER_INVALID: { status: 400, oci: 'UNSUPPORTED', harbor: 'BAD_REQUEST', message: 'invalid number of results requested' },
  BODY_INCOMPLETE: { status: 400, oci: 'BLOB_UPLOAD_INVALID', harbor: 'BAD_REQUEST', message: 'the request body ended before it was complete' },
  NOT_FOUND: { status: 404, oci: 'NAME_UNKNOWN', harbor: 'NOT_FOUND', message: 'not found' },
  BAD_REQUEST: { status: 400, oci: 'UNSUPPORTED', harbor: 'BAD_REQUEST', message: 'bad request' },
  FORBIDDEN_ACTION: { status: 403, oci: 'DENIED', harbor: 'FORBIDDEN', message: 'the operation is not allowed' },
  CONFLICT: { status: 409, oci: 'DENIED', harbor: 'CONFLICT', message: 'conflict' },
  PRECONDITION: { status: 412, oci: 'DENIED', harbor: 'PRECONDITION', message: 'precondition failed' },
  // A policy refused it (promotion gates, pull enforcement). On /v2 clients print the spec's DENIED with the message.
  PROJECTPOLICYVIOLATION: { status: 412, oci: 'DENIED', harbor: 'PROJECTPOLICYVIOLATION', message: 'the project policy refuses this' },
  // Harbor answers a quota violation with 403 and its DENIED code on both surfaces.
  QUOTA_EXCEEDED: { status: 403, oci: 'DENIED', harbor: 'DENIED', message: 'storage quota exceeded' },
  STORAGE_FULL: { status: 507, oci: 'UNSUPPORTED', harbor: 'INSUFFICIENT_STORAGE', message: 'the registry storage is full or not writable' },
  UNAVAILABLE: { status: 503, oci: 'UNAVAILABLE', harbor: 'SERVICE_UNAVAILABLE', message: 'service unavailable' },
  INTERNAL: { status: 500, oci: 'UNKNOWN', harbor: 'INTERNAL_SERVER_ERROR', message: 'internal server error' },
} as const satisfies Record<string, ErrorDescriptor>;

export type ErrorCode = keyof typeof errorTable;

/** A failure the caller can understand and act on; rendered by the surface that caught it. */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  /** Extra response headers (e.g. `Range` on a 416, `WWW-Authenticate` on a 401). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, detail?: unknown, headers: Record<string, string> = {}) {
    super(message ?? errorTable[code].message);
    this.name = 'BerthError';
    this.code = code;
    this.detail = detail;
    this.headers = headers;
  }

  get status(): number {
    return errorTable[this.code].status;
  }
}

export const isBerthError = (err: unknown): err is BerthError => err instanceof BerthError;
