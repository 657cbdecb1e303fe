import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { sha256 } from '../../helpers/oci-client.ts';
import { ANY, f, imageManifest, missing, missingManifest, putManifest, repo, unauthorized, uploads, type Row } from './table.ts';

/**
 * Rows about authentication and authorization, and about the n parameter of tag and catalog lists.
 */

export const authRows: Row[] = [
  // --- authentication and authorization ------------------------------------------------------------------------
  {
    name: 'unauthenticated push (POST of an upload)',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'none' }),
    ...unauthorized,
  },
  {
    name: 'unauthenticated monolithic push',
    request: () => {
      const body = randomBytes(100);
      missing(sha256(body));
      return { method: 'POST', path: `${uploads(repo)}?digest=${sha256(body)}`, body, auth: 'none' };
    },
    ...unauthorized,
  },
  {
    name: 'unauthenticated manifest PUT',
    request: () => {
      missingManifest('anonymous');
      return { ...putManifest('anonymous', imageManifest()), auth: 'none' };
    },
    ...unauthorized,
  },
  {
    name: 'unauthenticated manifest DELETE',
    request: () => ({ method: 'DELETE', path: `/v2/${repo}/manifests/${f.imageDigest}`, auth: 'none' }),
    ...unauthorized,
  },
  {
    name: 'push with a wrong password',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'wrong-password' }),
    ...unauthorized,
  },
  {
    name: 'pull with a wrong password (no silent downgrade to anonymous)',
    request: () => ({ method: 'GET', path: `/v2/${repo}/manifests/v1`, auth: 'wrong-password' }),
    ...unauthorized,
  },
  {
    name: 'push as a user that does not exist',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'unknown-user' }),
    ...unauthorized,
  },
  {
    name: 'push with Basic credentials lacking a colon',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'no-colon' }),
    ...unauthorized,
  },
  {
    name: 'push with a bearer token the registry did not issue',
    request: () => ({ method: 'POST', path: uploads(repo), auth: 'bearer' }),
    ...unauthorized,
  },
  {
    name: 'push into a project that does not exist',
    request: () => ({ method: 'POST', path: uploads('no-such-project/app') }),
    status: [403, 404],
    code: ['NAME_UNKNOWN', 'DENIED'],
  },
  {
    name: 'manifest PUT into a project that does not exist',
    request: () => ({ ...putManifest('v1', imageManifest()), path: '/v2/no-such-project/app/manifests/v1' }),
    status: [403, 404],
    code: ['NAME_UNKNOWN', 'DENIED'],
  },
];

export const paginationRows: Row[] = [
  // --- pagination ----------------------------------------------------------------------------------------------
  ...(['abc', '-1', '1.5', '0x10'] as const).map(
    (n): Row => ({
      name: `tag list with n=${n}`,
      request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=${n}` }),
      status: 400,
      code: ANY,
    }),
  ),
  {
    // Control row: any integer n is a valid request; the registry may answer fewer tags (spec, "Listing Tags").
    name: 'tag list with a huge n (99999999999) answers the tags',
    request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=99999999999` }),
    status: 200,
    code: null,
    after: async (res) => expect((JSON.parse(res.body.toString()) as { tags: string[] }).tags).toContain('v1'),
  },
  {
    name: 'tag list with n given twice',
    request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=1&n=2` }),
    status: 400,
    code: ANY,
  },
  {
    name: 'catalog with n=abc',
    request: () => ({ method: 'GET', path: '/v2/_catalog?n=abc' }),
    status: 400,
    code: ANY,
  },
  {
    // Control row: the spec says n=0 MUST give an empty list without a Link header.
    name: 'tag list with n=0 answers an empty list without a Link header',
    request: () => ({ method: 'GET', path: `/v2/${repo}/tags/list?n=0` }),
    status: 200,
    code: null,
    headers: { link: null },
    after: async (res) => expect(JSON.parse(res.body.toString())).toEqual({ name: repo, tags: [] }),
  },
];
