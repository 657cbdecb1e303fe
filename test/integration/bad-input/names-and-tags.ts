import { imageManifest, missingManifest, putManifest, type Row } from './table.ts';

/**
 * Rows about repository names and tags that the spec's grammar refuses (and the longest tag it allows).
 */

export const repositoryNameRows: Row[] = [
  // --- repository names ----------------------------------------------------------------------------------------
  ...(
    [
      ['GET', '/v2/../x/tags/list', '`../x`'],
      ['GET', '/v2/library/../x/manifests/latest', '`library/../x`'],
      ['GET', '/v2/%2e%2e/x/manifests/latest', '`%2e%2e/x`'],
      ['POST', '/v2/library/%2E%2E/blobs/uploads/', '`library/%2E%2E` (push)'],
      ['GET', '/v2/library/./x/tags/list', '`library/./x`'],
      ['GET', '/v2/library/Foo/tags/list', 'uppercase `library/Foo`'],
      ['POST', '/v2/library//x/blobs/uploads/', 'an empty component `library//x` (push)'],
      ['GET', '/v2/library/x//manifests/latest', 'a trailing slash `library/x/`'],
      ['GET', '/v2/foo/manifests/latest', 'a single component `foo`'],
      ['POST', '/v2/foo/blobs/uploads/', 'a single component `foo` (push)'],
      ['GET', '/v2/library/-x/tags/list', 'a component starting with a separator'],
      ['GET', '/v2/library/x./tags/list', 'a component ending with a separator'],
      ['GET', '/v2/library/x%zz/tags/list', 'broken percent-encoding'],
      ['GET', `/v2/library/${'a'.repeat(250)}/tags/list`, 'a name of 258 characters'],
    ] as const
  ).map(
    ([method, p, what]): Row => ({
      name: `${method} with the invalid repository name ${what}`,
      request: () => ({ method, path: p }),
      status: 400,
      code: 'NAME_INVALID',
    }),
  ),
];

export const tagRows: Row[] = [
  // --- tags ----------------------------------------------------------------------------------------------------
  ...(
    [
      ['-leading-dash', 'a leading dash'],
      ['.leading-dot', 'a leading dot'],
      ['v1+build', 'a plus sign'],
      ['t'.repeat(129), '129 characters'],
    ] as const
  ).map(
    ([tag, what]): Row => ({
      name: `PUT of a manifest under a tag with ${what}`,
      request: () => {
        missingManifest(encodeURIComponent(tag));
        return putManifest(encodeURIComponent(tag), imageManifest());
      },
      status: 400,
      code: ['MANIFEST_INVALID', 'NAME_INVALID'],
    }),
  ),
  {
    name: 'PUT of a manifest under a tag of exactly 128 characters is accepted',
    request: () => putManifest('T'.repeat(128), imageManifest()),
    status: 201,
    code: null,
  },
];
