import { ANY, f, repo, type Row } from './table.ts';

/**
 * Rows about Range on blob GET and HEAD (RFC 9110 section 14).
 */

export const rangeRows: Row[] = [
  // --- Range on blob GET (RFC 9110 section 14) -----------------------------------------------------------------
  {
    name: 'GET of a blob with a range that starts past its end',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=5000-10000' } }),
    status: 416,
    code: ANY,
    headers: { 'content-range': /^bytes \*\/1024$/ },
  },
  {
    name: 'GET of a blob with a range whose last byte precedes its first',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=500-0' } }),
    status: 416,
    code: ANY,
  },
  {
    name: 'GET of a blob with a malformed byte range',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=ten-twenty' } }),
    // RFC 9110: an invalid bytes range SHOULD get 416, but a server MAY ignore Range and send the whole blob.
    status: [200, 416],
    code: null,
  },
  {
    name: 'GET of a blob with a range unit the server does not know (RFC 9110: MUST ignore)',
    request: () => ({ method: 'GET', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'items=0-5' } }),
    status: 200,
    code: null,
    headers: { 'content-length': /^1024$/ },
  },
  {
    name: 'HEAD of a blob with an unsatisfiable range (RFC 9110: Range is defined for GET only)',
    request: () => ({ method: 'HEAD', path: `/v2/${repo}/blobs/${f.layerDigest}`, headers: { range: 'bytes=5000-10000' } }),
    status: 200,
    code: null,
    headers: { 'content-length': /^1024$/, 'docker-content-digest': /^sha256:/ },
  },
];
