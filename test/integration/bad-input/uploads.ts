import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { sha256 } from '../../helpers/oci-client.ts';
import { ANY, client, f, missing, repo, sessionsToCheck, startSession, uploads, type Row } from './table.ts';

/**
 * Rows about uploads: bodies cut off by a client that went away, bad Content-Range on PATCH and PUT, and
 * upload ids that are unknown, finished or belong to another repository.
 */

export const truncatedBodyRows: Row[] = [
  // --- truncated bodies ----------------------------------------------------------------------------------------
  {
    name: 'monolithic POST whose body stops short of its Content-Length (client gone)',
    request: () => {
      const full = randomBytes(256 * 1024);
      missing(sha256(full));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(full)}`, body: full.subarray(0, 64 * 1024), declaredLength: full.length };
    },
    status: [400, 0],
    code: null,
  },
  {
    name: 'monolithic POST in chunked encoding cut off before the last chunk (client gone)',
    request: () => {
      const full = randomBytes(200 * 1024);
      missing(sha256(full));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(full)}`, body: full.subarray(0, 128 * 1024), chunked: true, truncateChunked: true };
    },
    status: [400, 0],
    code: null,
  },
  {
    name: 'PATCH whose chunk stops short of its Content-Length (client gone)',
    request: async () => {
      const data = randomBytes(1000);
      const id = await startSession(repo, data);
      sessionsToCheck.set(id, data);
      return {
        method: 'PATCH',
        path: uploads(repo, id),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `1000-${1000 + 200_000 - 1}` },
        body: randomBytes(50_000),
        declaredLength: 200_000,
      };
    },
    status: [400, 0],
    code: null,
  },
  {
    name: 'closing PUT whose final chunk stops short of its Content-Length (client gone)',
    request: async () => {
      const data = randomBytes(1000);
      const rest = randomBytes(3000);
      const full = Buffer.concat([data, rest]);
      missing(sha256(full));
      const id = await startSession(repo, data);
      sessionsToCheck.set(id, data);
      return { method: 'PUT', path: `${uploads(repo, id)}?digest=${sha256(full)}`, body: rest.subarray(0, 1000), declaredLength: 3000 };
    },
    status: [400, 0],
    code: null,
  },
];

export const contentRangeRows: Row[] = [
  // --- Content-Range on PATCH and PUT --------------------------------------------------------------------------
  {
    name: 'PATCH with a malformed Content-Range',
    request: async () => ({
      method: 'PATCH',
      path: uploads(repo, await startSession()),
      headers: { 'content-range': 'zero-to-nine' },
      body: randomBytes(10),
    }),
    status: 400,
    code: 'BLOB_UPLOAD_INVALID',
  },
  {
    name: 'PATCH with a Content-Range that ends before it starts',
    request: async () => ({ method: 'PATCH', path: uploads(repo, await startSession()), headers: { 'content-range': '9-0' }, body: randomBytes(10) }),
    status: [400, 416],
    code: 'BLOB_UPLOAD_INVALID',
  },
  {
    name: 'PATCH with a Content-Range that disagrees with its Content-Length',
    request: async () => ({ method: 'PATCH', path: uploads(repo, await startSession()), headers: { 'content-range': '0-99' }, body: randomBytes(50) }),
    status: [400, 416],
    code: ['BLOB_UPLOAD_INVALID', 'SIZE_INVALID'],
  },
  {
    name: 'PATCH whose chunk starts past the end of the upload (out of order)',
    request: async () => {
      const first = randomBytes(10);
      const id = await startSession(repo, first);
      sessionsToCheck.set(id, first);
      return { method: 'PATCH', path: uploads(repo, id), headers: { 'content-range': '20-29' }, body: randomBytes(10) };
    },
    status: 416,
    code: ANY,
  },
  {
    name: 'PATCH that restarts at offset 0 after data was received (out of order)',
    request: async () => {
      const first = randomBytes(10);
      const id = await startSession(repo, first);
      sessionsToCheck.set(id, first);
      return { method: 'PATCH', path: uploads(repo, id), headers: { 'content-range': '0-9' }, body: randomBytes(10) };
    },
    status: 416,
    code: ANY,
  },
  {
    name: 'closing PUT with an out-of-order final chunk',
    request: async () => {
      const first = randomBytes(10);
      const id = await startSession(repo, first);
      sessionsToCheck.set(id, first);
      const last = randomBytes(10);
      missing(sha256(Buffer.concat([first, last])));
      return { method: 'PUT', path: `${uploads(repo, id)}?digest=${sha256(Buffer.concat([first, last]))}`, headers: { 'content-range': '20-29' }, body: last };
    },
    status: 416,
    code: ANY,
  },
];

export const uploadSessionRows: Row[] = [
  // --- upload sessions -----------------------------------------------------------------------------------------
  {
    name: 'PATCH of an unknown upload id',
    request: () => ({ method: 'PATCH', path: uploads(repo, randomUUID()), body: randomBytes(10) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'closing PUT of an unknown upload id',
    request: () => ({ method: 'PUT', path: `${uploads(repo, randomUUID())}?digest=${f.layerDigest}` }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'GET status of an unknown upload id',
    request: () => ({ method: 'GET', path: uploads(repo, randomUUID()) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'DELETE of an unknown upload id',
    request: () => ({ method: 'DELETE', path: uploads(repo, randomUUID()) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'PATCH of an upload id that is not a UUID',
    request: () => ({ method: 'PATCH', path: uploads(repo, 'not-an-upload'), body: randomBytes(10) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'PATCH of an upload that was already completed',
    request: async () => {
      const data = randomBytes(100);
      const id = await startSession(repo, data);
      expect((await client.request('PUT', `${uploads(repo, id)}?digest=${sha256(data)}`)).status).toBe(201);
      return { method: 'PATCH', path: uploads(repo, id), body: randomBytes(10) };
    },
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'PATCH of an upload id that belongs to another repository',
    request: () => ({ method: 'PATCH', path: uploads(repo, f.otherSession), headers: { 'content-range': '0-9' }, body: randomBytes(10) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'closing PUT of an upload id that belongs to another repository',
    request: () => ({ method: 'PUT', path: `${uploads(repo, f.otherSession)}?digest=${sha256(Buffer.alloc(0))}` }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    name: 'DELETE of an upload id that belongs to another repository',
    request: () => ({ method: 'DELETE', path: uploads(repo, f.otherSession) }),
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
];
