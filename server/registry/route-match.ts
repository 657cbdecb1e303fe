/**
 * Matches /v2 paths. Repository names contain slashes, so the route is found from the right-hand end
 * (`.../manifests/<ref>`, `.../blobs/uploads/<id>`), which a general router does poorly and slowly.
 */
export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string }
  /** A registry path whose percent-encoding is broken: answered as an invalid name. */
  | { kind: 'undecodable' };

const uploadPattern = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/;
const itemPattern = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/;
const tagsPattern = /^\/v2\/(.+)\/tags\/list$/;

/** Decodes a percent-encoded path part; null when the encoding is broken (answered as an invalid name). */
function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** Returns the route for a /v2 path, or null when the path is not part of the API. */
export function matchRegistryRoute(path: string): RegistryRoute | null {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  let m = uploadPattern.exec(path);
  if (m) {
    const name = decode(m[1]!);
    const id = decode(m[2]!);
    return name === null || id === null ? { kind: 'undecodable' } : { kind: 'upload', name, id };
  }
  m = itemPattern.exec(path);
  if (m) {
    const name = decode(m[1]!);
    const item = decode(m[3]!);
    if (name === null || item === null) return { kind: 'undecodable' };
    if (m[2] === 'manifests') return { kind: 'manifest', name, reference: item };
    if (m[2] === 'blobs') return { kind: 'blob', name, digest: item };
    return { kind: 'referrers', name, digest: item };
  }
  m = tagsPattern.exec(path);
  if (m) {
    const name = decode(m[1]!);
    return name === null ? { kind: 'undecodable' } : { kind: 'tags', name };
  }
  return null;
}
