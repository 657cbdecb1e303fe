import { f, repo, uploads, type Row } from './table.ts';

/**
 * Rows about methods a route does not support (405 with an Allow header).
 */

export const methodRows: Row[] = [
  // --- methods -------------------------------------------------------------------------------------------------
  ...(
    [
      ['POST', 'a manifest', () => `/v2/${repo}/manifests/v1`],
      ['PATCH', 'a manifest', () => `/v2/${repo}/manifests/v1`],
      ['PUT', 'a blob', () => `/v2/${repo}/blobs/${f.layerDigest}`],
      ['POST', 'a blob', () => `/v2/${repo}/blobs/${f.layerDigest}`],
      ['POST', 'an upload session', () => uploads(repo, f.otherSession)],
      ['PUT', 'the tag list', () => `/v2/${repo}/tags/list`],
      ['DELETE', 'the tag list', () => `/v2/${repo}/tags/list`],
      ['POST', 'the catalog', () => '/v2/_catalog'],
      ['DELETE', '/v2/', () => '/v2/'],
    ] as const
  ).map(
    ([method, what, p]): Row => ({
      name: `unsupported method ${method} on ${what}`,
      request: () => ({ method, path: p() }),
      status: 405,
      code: 'UNSUPPORTED',
      // RFC 9110 section 15.5.6: a 405 MUST carry an Allow header listing the supported methods.
      headers: { allow: /\b(GET|HEAD|PUT|POST|PATCH|DELETE)\b/ },
    }),
  ),
];
