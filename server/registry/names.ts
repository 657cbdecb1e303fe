import { BerthError } from '../core/errors.ts';
import { parseDigest } from '../core/digest.ts';

// The OCI distribution spec's grammar for repository names, component by component.
const componentPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const maxNameLength = 255;

export interface RepositoryName {
  /** The full name, e.g. `library/alpine` or `team/app/api`. */
  full: string;
  /** The first component: the project that owns the repository. */
  project: string;
}

/**
 * Validates a repository name against the spec's grammar. Because every component must match, `..`, `.`,
 * empty components and encoded slashes never reach the storage or database layers.
 */
export function parseRepositoryName(name: string): RepositoryName {
  if (name.length === 0 || name.length > maxNameLength) throw new BerthError('NAME_INVALID', `invalid repository name: length must be 1-${maxNameLength}`);
  const components = name.split('/');
  for (const c of components) {
    if (!componentPattern.test(c)) {
      throw new BerthError('NAME_INVALID', `invalid repository name "${name.slice(0, 300)}": component "${c.slice(0, 100)}" must match [a-z0-9]+((.|_|__|-+)[a-z0-9]+)*`);
    }
  }
  if (components.length < 2) {
    throw new BerthError('NAME_INVALID', `invalid repository name "${name}": names take the form <project>/<repository>, e.g. library/${name}`);
  }
  return { full: name, project: components[0]! };
}

export const isValidTag = (tag: string): boolean => tagPattern.test(tag);

export function requireTag(tag: string): string {
  if (!isValidTag(tag)) throw new BerthError('TAG_INVALID', `invalid tag "${tag.slice(0, 200)}": tags must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`);
  return tag;
}

export type Reference = { kind: 'digest'; digest: string } | { kind: 'tag'; tag: string };

/** A manifest reference is a digest when it has the digest shape, a tag otherwise. */
export function parseReference(reference: string): Reference {
  if (reference.includes(':')) {
    if (!parseDigest(reference)) throw new BerthError('DIGEST_INVALID', `invalid digest reference "${reference.slice(0, 200)}"`);
    return { kind: 'digest', digest: reference };
  }
  return { kind: 'tag', tag: requireTag(reference) };
}
