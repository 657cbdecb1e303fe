import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciTestClient, type PushedImage } from '../helpers/oci-client.ts';
import { sendRaw } from '../helpers/raw-http.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * Malformed and hostile requests against the artifacts API (repositories, artifacts, tags, labels, copies, search).
 * Requests are written over a socket exactly as given (../helpers/raw-http.ts), so `..`, `%2e%2e` and broken
 * percent-encoding reach the server unnormalised. Every answer must be Harbor's envelope with the right status,
 * never a 500, and nothing a refused request carried may be stored.
 */

interface Row {
  name: string;
  method: string;
  path: string | (() => string);
  body?: string;
  contentType?: string;
  status: number;
  code?: string;
}

const repo = '/api/v2.0/projects/library/repositories/src';
const art = `${repo}/artifacts`;
let image: PushedImage;
const big = `{"description":"${'x'.repeat(1024 * 1024 + 10)}"}`;

const rows: Row[] = [
  // Paging, q and sort on every list.
  ...['/api/v2.0/repositories', '/api/v2.0/projects/library/repositories', art, `${art}/v1/tags`, `${art}/v1/accessories`, '/api/v2.0/labels', '/api/v2.0/projects/library/artifacts'].flatMap((list): Row[] => [
    { name: `${list}: page_size not a number`, method: 'GET', path: `${list}?page_size=abc`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: page 0`, method: 'GET', path: `${list}?page=0`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: negative page size`, method: 'GET', path: `${list}?page_size=-5`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: a huge page size is capped, not an error`, method: 'GET', path: `${list}?page_size=999999999`, status: 200 },
    { name: `${list}: a page size beyond any integer`, method: 'GET', path: `${list}?page_size=99999999999999999999`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: an absurdly long page number`, method: 'GET', path: `${list}?page=99999999999999999999`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: an unknown q key`, method: 'GET', path: `${list}?q=password%3Dx`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: q given twice`, method: 'GET', path: `${list}?q=a&q=b`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: an unknown sort key`, method: 'GET', path: `${list}?sort=secret`, status: 400, code: 'BAD_REQUEST' },
    { name: `${list}: a q longer than 1024 characters`, method: 'GET', path: `${list}?q=name%3D${'a'.repeat(1100)}`, status: 400, code: 'BAD_REQUEST' },
  ]),
  { name: 'repositories: project_id that is not an id', method: 'GET', path: '/api/v2.0/repositories?q=project_id%3Dabc', status: 400, code: 'BAD_REQUEST' },
  { name: 'repositories: a time range with a non-time', method: 'GET', path: '/api/v2.0/repositories?q=creation_time%3D%5Bnot-a-date~%5D', status: 400, code: 'BAD_REQUEST' },
  { name: 'repositories: an impossible date', method: 'GET', path: '/api/v2.0/repositories?q=creation_time%3D%5B2024-02-30~%5D', status: 400, code: 'BAD_REQUEST' },
  { name: 'repositories: a time as a bare number', method: 'GET', path: '/api/v2.0/repositories?q=update_time%3D1', status: 400, code: 'BAD_REQUEST' },
  { name: 'repositories: an unquoted fuzzy project id', method: 'GET', path: '/api/v2.0/repositories?q=project_id%3D~1', status: 400, code: 'BAD_REQUEST' },

  // Repository names: double encoding, path tricks, bad percent-encoding.
  { name: 'a double-encoded nested name is read', method: 'GET', path: '/api/v2.0/projects/library/repositories/team%252Fapp', status: 200 },
  { name: 'a triple-encoded name is not a name', method: 'GET', path: '/api/v2.0/projects/library/repositories/team%25252Fapp', status: 400, code: 'BAD_REQUEST' },
  { name: 'invalid percent-encoding in the name', method: 'GET', path: '/api/v2.0/projects/library/repositories/%ZZ', status: 400, code: 'BAD_REQUEST' },
  { name: 'invalid percent-encoding after the first decoding', method: 'GET', path: '/api/v2.0/projects/library/repositories/%25ZZ', status: 400, code: 'BAD_REQUEST' },
  { name: '.. as the repository name', method: 'GET', path: '/api/v2.0/projects/library/repositories/..', status: 400, code: 'BAD_REQUEST' },
  { name: 'encoded .. as the repository name', method: 'GET', path: '/api/v2.0/projects/library/repositories/%2e%2e', status: 400, code: 'BAD_REQUEST' },
  { name: '../.. double-encoded into another project', method: 'GET', path: '/api/v2.0/projects/library/repositories/..%252F..%252Fsecret%252Fhidden', status: 400, code: 'BAD_REQUEST' },
  { name: 'a name with a leading slash after decoding', method: 'GET', path: '/api/v2.0/projects/library/repositories/%252Fsrc', status: 400, code: 'BAD_REQUEST' },
  { name: 'a dot segment inside a nested name', method: 'GET', path: '/api/v2.0/projects/library/repositories/a%252F.%252Fb/artifacts', status: 400, code: 'BAD_REQUEST' },
  { name: 'upper case in the name', method: 'GET', path: '/api/v2.0/projects/library/repositories/Src', status: 400, code: 'BAD_REQUEST' },
  { name: 'a NUL byte in the name', method: 'GET', path: '/api/v2.0/projects/library/repositories/src%2500', status: 400, code: 'BAD_REQUEST' },
  { name: 'a name longer than the registry allows', method: 'GET', path: `/api/v2.0/projects/library/repositories/${'a'.repeat(300)}`, status: 400, code: 'BAD_REQUEST' },
  { name: 'raw .. segments leave the API routes', method: 'GET', path: '/api/v2.0/projects/library/repositories/../../users', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown project', method: 'GET', path: '/api/v2.0/projects/nothing/repositories/src', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown repository', method: 'GET', path: '/api/v2.0/projects/library/repositories/nothing', status: 404, code: 'NOT_FOUND' },
  { name: 'deleting an unknown repository', method: 'DELETE', path: '/api/v2.0/projects/library/repositories/nothing', status: 404, code: 'NOT_FOUND' },

  // Repository updates.
  { name: 'repository update: not JSON', method: 'PUT', path: repo, body: '{"description":', status: 400, code: 'BAD_REQUEST' },
  { name: 'repository update: an unknown field', method: 'PUT', path: repo, body: '{"description":"x","owner":"me"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'repository update: a wrong type', method: 'PUT', path: repo, body: '{"description":5}', status: 400, code: 'BAD_REQUEST' },
  { name: 'repository update: an array', method: 'PUT', path: repo, body: '[]', status: 400, code: 'BAD_REQUEST' },
  { name: 'repository update: no body', method: 'PUT', path: repo, body: '', status: 400, code: 'BAD_REQUEST' },
  { name: 'repository update: a rename', method: 'PUT', path: repo, body: '{"name":"library/other"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'repository update: a body over 1 MiB', method: 'PUT', path: repo, body: big, status: 413 },

  // Artifact references and options.
  { name: 'a malformed digest reference', method: 'GET', path: `${art}/sha256:zz`, status: 400, code: 'BAD_REQUEST' },
  { name: 'an unknown digest algorithm', method: 'GET', path: `${art}/md5:${'a'.repeat(32)}`, status: 400, code: 'BAD_REQUEST' },
  { name: 'an invalid tag reference', method: 'GET', path: `${art}/-v1`, status: 400, code: 'BAD_REQUEST' },
  { name: 'a tag reference over 128 characters', method: 'GET', path: `${art}/${'t'.repeat(129)}`, status: 400, code: 'BAD_REQUEST' },
  { name: 'an unknown digest', method: 'GET', path: `${art}/sha256:${'0'.repeat(64)}`, status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown tag', method: 'GET', path: `${art}/nope`, status: 404, code: 'NOT_FOUND' },
  { name: 'deleting an unknown artifact', method: 'DELETE', path: `${art}/nope`, status: 404, code: 'NOT_FOUND' },
  { name: 'with_tag that is not a boolean', method: 'GET', path: `${art}?with_tag=maybe`, status: 400, code: 'BAD_REQUEST' },
  { name: 'with_label that is not a boolean', method: 'GET', path: `${art}/v1?with_label=1`, status: 400, code: 'BAD_REQUEST' },
  { name: 'with_scan_overview is accepted', method: 'GET', path: `${art}?with_scan_overview=true&with_sbom_overview=true&with_immutable_status=true`, status: 200 },
  { name: 'q type by range', method: 'GET', path: `${art}?q=type%3D%5Ba~b%5D`, status: 400, code: 'BAD_REQUEST' },
  { name: 'q labels that are not ids', method: 'GET', path: `${art}?q=labels%3D(abc)`, status: 400, code: 'BAD_REQUEST' },
  { name: 'q labels by fuzzy match', method: 'GET', path: `${art}?q=labels%3D~1`, status: 400, code: 'BAD_REQUEST' },
  { name: 'q base other than *', method: 'GET', path: `${art}?q=base%3Dall`, status: 400, code: 'BAD_REQUEST' },
  { name: 'q tags by range', method: 'GET', path: `${art}?q=tags%3D%5B1~2%5D`, status: 400, code: 'BAD_REQUEST' },
  { name: 'q an unreadable term', method: 'GET', path: `${art}?q=justtext`, status: 400, code: 'BAD_REQUEST' },
  { name: 'latest_in_repository without a media or artifact type', method: 'GET', path: '/api/v2.0/projects/library/artifacts?latest_in_repository=true', status: 400, code: 'BAD_REQUEST' },
  { name: 'latest_in_repository with both types', method: 'GET', path: '/api/v2.0/projects/library/artifacts?latest_in_repository=true&q=media_type%3Da,artifact_type%3Db', status: 400, code: 'BAD_REQUEST' },
  { name: 'latest_in_repository not a boolean', method: 'GET', path: '/api/v2.0/projects/library/artifacts?latest_in_repository=yes', status: 400, code: 'BAD_REQUEST' },
  { name: 'project artifacts of an unknown project', method: 'GET', path: '/api/v2.0/projects/nothing/artifacts', status: 404, code: 'NOT_FOUND' },
  { name: 'project artifacts by an id beyond range', method: 'GET', path: '/api/v2.0/projects/99999999999999/artifacts', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown addition', method: 'GET', path: `${art}/v1/additions/secrets`, status: 400, code: 'BAD_REQUEST' },
  { name: 'an addition not available for the artifact', method: 'GET', path: `${art}/v1/additions/readme.md`, status: 404, code: 'NOT_FOUND' },

  // Tags.
  { name: 'tag create: not JSON', method: 'POST', path: `${art}/v1/tags`, body: 'name=x', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: an unknown field', method: 'POST', path: `${art}/v1/tags`, body: '{"name":"bad1","immutable":true}', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: no name', method: 'POST', path: `${art}/v1/tags`, body: '{}', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: a name of the wrong type', method: 'POST', path: `${art}/v1/tags`, body: '{"name":["a"]}', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: an invalid name', method: 'POST', path: `${art}/v1/tags`, body: '{"name":".hidden"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: a path in the name', method: 'POST', path: `${art}/v1/tags`, body: '{"name":"../v1"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: null', method: 'POST', path: `${art}/v1/tags`, body: 'null', status: 400, code: 'BAD_REQUEST' },
  { name: 'tag create: an existing tag', method: 'POST', path: `${art}/v1/tags`, body: '{"name":"v1"}', status: 409, code: 'CONFLICT' },
  { name: 'tag create: on an unknown artifact', method: 'POST', path: `${art}/nope/tags`, body: '{"name":"bad2"}', status: 404, code: 'NOT_FOUND' },
  { name: 'tag delete: an invalid name', method: 'DELETE', path: `${art}/v1/tags/-x`, status: 400, code: 'BAD_REQUEST' },
  { name: 'tag delete: an unknown tag', method: 'DELETE', path: `${art}/v1/tags/nope`, status: 404, code: 'NOT_FOUND' },

  // Labels on artifacts.
  { name: 'artifact label: not JSON', method: 'POST', path: `${art}/v1/labels`, body: '{id:1}', status: 400, code: 'BAD_REQUEST' },
  { name: 'artifact label: no id', method: 'POST', path: `${art}/v1/labels`, body: '{"name":"release"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'artifact label: an id of the wrong type', method: 'POST', path: `${art}/v1/labels`, body: '{"id":"1"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'artifact label: an unknown field', method: 'POST', path: `${art}/v1/labels`, body: '{"id":1,"colour":"red"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'artifact label: an unknown label', method: 'POST', path: `${art}/v1/labels`, body: '{"id":999999}', status: 404, code: 'NOT_FOUND' },
  { name: 'artifact label removal: an id that is not a number', method: 'DELETE', path: `${art}/v1/labels/abc`, status: 400, code: 'BAD_REQUEST' },
  { name: 'artifact label removal: a label that is not attached', method: 'DELETE', path: `${art}/v1/labels/999999`, status: 404, code: 'NOT_FOUND' },

  // Labels.
  { name: 'label create: not JSON', method: 'POST', path: '/api/v2.0/labels', body: '{"name":', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: an unknown field', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad3","scope":"g","level":"system"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: no scope', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad4"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: an unknown scope', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad5","scope":"x"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: no name', method: 'POST', path: '/api/v2.0/labels', body: '{"scope":"g"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a blank name', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"   ","scope":"g"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a control character in the name', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"a\\u0007b","scope":"g"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a name over 128 characters', method: 'POST', path: '/api/v2.0/labels', body: `{"name":"${'n'.repeat(129)}","scope":"g"}`, status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a colour that is not one', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad6","scope":"g","color":"red; drop"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a global label with a project', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad7","scope":"g","project_id":1}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a project label without one', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad8","scope":"p"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: an unknown project', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad9","scope":"p","project_id":999999}', status: 404, code: 'NOT_FOUND' },
  { name: 'label create: a project id of the wrong type', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad10","scope":"p","project_id":"1"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a huge project id', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad11","scope":"p","project_id":1e20}', status: 400, code: 'BAD_REQUEST' },
  { name: 'label create: a body over 1 MiB', method: 'POST', path: '/api/v2.0/labels', body: big, status: 413 },
  { name: 'label get: an id that is not a number', method: 'GET', path: '/api/v2.0/labels/abc', status: 400, code: 'BAD_REQUEST' },
  { name: 'label get: an id beyond range', method: 'GET', path: '/api/v2.0/labels/99999999999', status: 400, code: 'BAD_REQUEST' },
  { name: 'label get: an unknown id', method: 'GET', path: '/api/v2.0/labels/999999', status: 404, code: 'NOT_FOUND' },
  { name: 'label update: an unknown id', method: 'PUT', path: '/api/v2.0/labels/999999', body: '{"name":"x"}', status: 404, code: 'NOT_FOUND' },
  { name: 'label delete: an unknown id', method: 'DELETE', path: '/api/v2.0/labels/999999', status: 404, code: 'NOT_FOUND' },
  { name: 'label list: a project scope without project_id', method: 'GET', path: '/api/v2.0/labels?scope=p', status: 400, code: 'BAD_REQUEST' },
  { name: 'label list: a project_id that is not a number', method: 'GET', path: '/api/v2.0/labels?scope=p&project_id=abc', status: 400, code: 'BAD_REQUEST' },
  { name: 'label list: an unknown scope', method: 'GET', path: '/api/v2.0/labels?scope=everything', status: 400, code: 'BAD_REQUEST' },
  { name: 'label list: an unknown project', method: 'GET', path: '/api/v2.0/labels?scope=p&project_id=999999', status: 404, code: 'NOT_FOUND' },

  // Copies.
  { name: 'copy: no from', method: 'POST', path: `${'/api/v2.0/projects/library/repositories/dst'}/artifacts`, status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from given twice', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=library/src:v1&from=library/src:v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from without a tag or digest', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=library/src', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from without a repository', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=src:v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from with a bad digest', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=library/src@sha256:abc', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from with a bad tag', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=library/src:-v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from with upper case', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=Library/Src:v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from with .. components', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=library/../secret:v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from that is only punctuation', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=%3A%40%3A', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: from longer than any reference', method: 'POST', path: `/api/v2.0/projects/library/repositories/dst/artifacts?from=library/${'a'.repeat(700)}:v1`, status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: an invalid target name', method: 'POST', path: '/api/v2.0/projects/library/repositories/..%252Fx/artifacts?from=library/src:v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'copy: an unknown source artifact', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=library/src:nope', status: 404, code: 'NOT_FOUND' },
  { name: 'copy: an unknown source project', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=nothing/src:v1', status: 404, code: 'NOT_FOUND' },

  // Search and statistics.
  { name: 'search: no q', method: 'GET', path: '/api/v2.0/search', status: 400, code: 'BAD_REQUEST' },
  { name: 'search: q twice', method: 'GET', path: '/api/v2.0/search?q=a&q=b', status: 400, code: 'BAD_REQUEST' },
  { name: 'search: a q over 255 characters', method: 'GET', path: `/api/v2.0/search?q=${'q'.repeat(256)}`, status: 400, code: 'BAD_REQUEST' },
  { name: 'search: SQL wildcards are plain text', method: 'GET', path: '/api/v2.0/search?q=%25_%5C', status: 200 },
  { name: 'statistics: a Bearer token is not a login here', method: 'GET', path: '/api/v2.0/statistics', status: 401, code: 'UNAUTHORIZED' },

  // NUL bytes, which PostgreSQL text cannot hold.
  { name: 'NUL: in the project name', method: 'GET', path: '/api/v2.0/projects/%00/repositories', status: 404, code: 'NOT_FOUND' },
  { name: 'NUL: in the project of a project-wide artifact list', method: 'GET', path: '/api/v2.0/projects/a%00b/artifacts', status: 404, code: 'NOT_FOUND' },
  { name: 'NUL: in the project of a copy source', method: 'POST', path: '/api/v2.0/projects/library/repositories/dst/artifacts?from=a%00/src:v1', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in a q value', method: 'GET', path: '/api/v2.0/repositories?q=name%3D~a%00', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in an artifact q value', method: 'GET', path: `${art}?q=digest%3D%00`, status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in the search text', method: 'GET', path: '/api/v2.0/search?q=%00', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in a label name filter', method: 'GET', path: '/api/v2.0/labels?name=%00', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in a repository description', method: 'PUT', path: repo, body: '{"description":"a\\u0000b"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in a label description', method: 'POST', path: '/api/v2.0/labels', body: '{"name":"bad12","scope":"g","description":"a\\u0000b"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: in a JSON key', method: 'POST', path: `${art}/v1/tags`, body: '{"na\\u0000me":"x"}', status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL: a raw control character in a JSON string', method: 'PUT', path: repo, body: '{"description":"a\u0000b"}', status: 400, code: 'BAD_REQUEST' },

  // Methods the routes do not have.
  { name: 'PATCH on an artifact', method: 'PATCH', path: `${art}/v1`, body: '{}', status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'PUT on the repository list', method: 'PUT', path: '/api/v2.0/repositories', body: '{}', status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'a WebDAV method on labels', method: 'PROPFIND', path: '/api/v2.0/labels', status: 405, code: 'METHOD_NOT_ALLOWED' },
];

describe('bad input on the artifacts API', () => {
  let server: TestServer;
  let counts: Record<string, number>;
  const statuses: number[] = [];
  const tables = ['labels', 'tags', 'repositories', 'artifacts', 'artifact_labels'];
  const countAll = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, Number(((await server.services.db.knex(t).count('* as c')) as Array<{ c: unknown }>)[0]!.c)])));

  beforeAll(async () => {
    server = await createTestServer();
    const oci = new OciTestClient(server.url, server.adminAuth);
    image = await oci.pushImage('library/src', 'v1');
    await oci.pushImage('library/team/app', 'v1');
    counts = await countAll();
  });
  afterAll(async () => server?.stop());

  it.each(rows)('$name', async (row) => {
    const path = typeof row.path === 'function' ? row.path() : row.path;
    const bearer = row.name.startsWith('statistics: a Bearer');
    const res = await sendRaw(server.port, {
      method: row.method,
      path,
      headers: {
        authorization: bearer ? 'Bearer abc.def.ghi' : server.adminAuth,
        ...(row.body !== undefined ? { 'content-type': row.contentType ?? 'application/json' } : {}),
      },
      body: row.body,
    });
    statuses.push(res.status);
    expect(res.status, res.body.toString().slice(0, 300)).toBe(row.status);
    if (row.status >= 400) {
      const envelope = JSON.parse(res.body.toString()) as { errors: Array<{ code: string; message: string }> };
      expect(envelope.errors).toHaveLength(1);
      expect(envelope.errors[0]!.message).toEqual(expect.any(String));
      if (row.code) expect(envelope.errors[0]!.code).toBe(row.code);
    }
  });

  it('answered no request with a 5xx and stored nothing a refused request carried', async () => {
    expect(statuses.length).toBe(rows.length);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(await countAll()).toEqual(counts);
    const v1 = await fetch(`${server.url}/v2/library/src/manifests/v1`, { method: 'HEAD', headers: { authorization: server.adminAuth } });
    expect(v1.headers.get('docker-content-digest')).toBe(image.digest);
    const repository = (await (await fetch(`${server.url}${repo}`, { headers: { authorization: server.adminAuth } })).json()) as { description: string };
    expect(repository.description).toBe('');
  });
});
