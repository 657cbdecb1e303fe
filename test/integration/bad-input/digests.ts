import { randomBytes } from 'node:crypto';
import { sha256 } from '../../helpers/oci-client.ts';
import { ANY, missing, repo, startSession, uploads, type Row } from './table.ts';

/**
 * Rows about digests: malformed, unsupported or mismatched digests on uploads and on lookups.
 */

export const digestRows: Row[] = [
  // --- digests -------------------------------------------------------------------------------------------------
  {
    name: 'monolithic POST whose digest does not match the body',
    request: () => {
      const body = randomBytes(2048);
      const claimed = sha256(randomBytes(16));
      missing(sha256(body), claimed);
      return { method: 'POST', path: `${uploads(repo)}?digest=${claimed}`, body, headers: { 'content-type': 'application/octet-stream' } };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a truncated digest (sha256:abc)',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=sha256:abc`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with an unsupported algorithm (md5)',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=md5:${'0'.repeat(32)}`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with an uppercase sha256 digest',
    request: () => {
      const body = randomBytes(512);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=sha256:${sha256(body).slice(7).toUpperCase()}`, body };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a sha256 digest of 65 hex characters',
    request: () => {
      const body = randomBytes(512);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(body)}0`, body };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a sha512 digest of sha256 length',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=sha512:${'a'.repeat(64)}`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with a digest that has no algorithm',
    request: () => ({ method: 'POST', path: `${uploads(repo)}?digest=${'a'.repeat(64)}`, body: 'abc' }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'monolithic POST with an empty digest parameter and a body',
    request: () => {
      const body = randomBytes(512);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=`, body };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'closing PUT whose digest does not match the uploaded bytes',
    request: async () => {
      const data = randomBytes(1000);
      const claimed = sha256(randomBytes(16));
      missing(sha256(data), claimed);
      const id = await startSession(repo, data);
      return { method: 'PUT', path: `${uploads(repo, id)}?digest=${claimed}` };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'closing PUT without a digest parameter',
    request: async () => {
      const data = randomBytes(100);
      missing(sha256(data));
      return { method: 'PUT', path: uploads(repo, await startSession(repo, data)) };
    },
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'closing PUT with an md5 digest',
    request: async () => ({ method: 'PUT', path: `${uploads(repo, await startSession(repo, Buffer.from('abc')))}?digest=md5:${'0'.repeat(32)}` }),
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    name: 'GET of a blob by a malformed digest',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/sha256:not-hex` }),
    status: [400, 404],
    code: ['DIGEST_INVALID', 'BLOB_UNKNOWN'],
  },
  {
    name: 'GET of a manifest by a malformed digest',
    request: () => ({ method: 'GET', path: `/v2/${repo}/manifests/sha256:baddigeststring` }),
    status: [400, 404],
    code: ['DIGEST_INVALID', 'MANIFEST_INVALID', 'MANIFEST_UNKNOWN'],
  },
  {
    name: 'referrers of a malformed digest (spec: MUST be 400)',
    request: () => ({ method: 'GET', path: `/v2/${repo}/referrers/sha256:zz` }),
    status: 400,
    code: ANY,
  },
];
