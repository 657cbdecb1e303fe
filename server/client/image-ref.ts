import { ClientError } from './errors.ts';

/** A parsed image reference: `[host[:port]/]project/repo[:tag][@digest]`. */
export interface ImageRef {
  /** The registry host (`host:port`), or undefined when the reference named none (the caller's default applies). */
  host?: string;
  /** The repository, `project/repo[/...]`. */
  repository: string;
  tag?: string;
  digest?: string;
}

// The distribution spec's grammar for names, tags and digests.
const component = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const digestPattern = /^[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const hostPattern = /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?$/;
const looksLikeHost = (part: string): boolean => (part.includes('.') || part.includes(':') || part === 'localhost' || part.startsWith('[')) && hostPattern.test(part);

export function parseImageRef(input: string): ImageRef {
  const bad = (why: string) => new ClientError('invalid', `"${input.slice(0, 200)}" is not an image reference (${why}); write [host[:port]/]project/repository[:tag][@sha256:...]`);
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw bad('the digest is malformed');
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw bad('a sha256 digest has 64 lowercase hex digits');
  }
  const parts = rest.split('/');
  let host: string | undefined;
  if (parts.length > 1 && looksLikeHost(parts[0]!)) host = parts.shift();
  let tag: string | undefined;
  const last = parts[parts.length - 1] ?? '';
  const colon = last.lastIndexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
    if (!tagPattern.test(tag)) throw bad('the tag is malformed');
  }
  if (parts.length < 2) throw bad('a Berth repository is project/name');
  if (!parts.every((p) => component.test(p))) throw bad('repository names are lowercase letters, digits and separators');
  return { host, repository: parts.join('/'), tag, digest };
}

/** The reference the registry resolves: the digest when there is one, else the tag, else `latest`. */
export const referenceOf = (ref: ImageRef): string => ref.digest ?? ref.tag ?? 'latest';

export function formatImageRef(ref: ImageRef): string {
  return `${ref.host ? `${ref.host}/` : ''}${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The project of a Berth repository (its first path component). */
export const projectOf = (repository: string): string => repository.slice(0, repository.indexOf('/'));
/** The repository's name within its project. */
export const nameInProject = (repository: string): string => repository.slice(repository.indexOf('/') + 1);
