import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { parseDigest } from '../core/digest.ts';
import { parseRepositoryName, requireTag, type Reference, type RepositoryName } from '../registry/names.ts';

/**
 * The repository named by `{repository_name}` in project `project`. Harbor double-encodes a name with slashes
 * (`a/b` -> `a%252Fb`); the router decoded it once, this decodes it once more. The result must be a valid
 * repository name (which has no `.`/`..` components, `%` or upper case), so path tricks end here with 400.
 */
export function repositoryNameParam(ctx: Context, project: string): RepositoryName {
  const raw = (ctx.params as Record<string, string>).repository_name ?? '';
  let inner: string;
  try {
    inner = decodeURIComponent(raw);
  } catch {
    throw new BerthError('BAD_REQUEST', 'repository_name is not valid percent-encoding; encode a/b as a%252Fb');
  }
  if (!inner) throw new BerthError('BAD_REQUEST', 'repository_name is empty');
  try {
    return parseRepositoryName(`${project}/${inner}`);
  } catch (err) {
    throw new BerthError('BAD_REQUEST', `invalid repository_name "${inner.slice(0, 200)}": ${(err as Error).message.replace(/^invalid repository name[^:]*: /, '')}`);
  }
}

/** `from=<project>/<repository>:<tag>` or `from=<project>/<repository>@<digest>` of a copy. */
export function copySourceParam(ctx: Context): { repository: RepositoryName; reference: Reference } {
  const from = ctx.query.from;
  if (typeof from !== 'string' || !from) throw new BerthError('BAD_REQUEST', 'from is required: <project>/<repository>:<tag> or <project>/<repository>@<digest>');
  return parseArtifactReference(from, 'from');
}

/**
 * `<project>/<repository>:<tag>` or `<project>/<repository>@<digest>` (`:<tag>@<digest>` names the digest, the tag
 * being only a reminder, as Harbor reads it); `what` names the field in error messages.
 */
export function parseArtifactReference(text: string, what: string): { repository: RepositoryName; reference: Reference } {
  if (text.length > 600) throw new BerthError('BAD_REQUEST', `${what} is too long`);
  const at = text.indexOf('@');
  let name: string;
  let reference: Reference;
  if (at >= 0) {
    name = text.slice(0, at).replace(/:[^/]*$/, '');
    const digest = text.slice(at + 1);
    if (!parseDigest(digest)) throw new BerthError('BAD_REQUEST', `invalid digest in ${what}: "${digest.slice(0, 200)}"`);
    reference = { kind: 'digest', digest };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0 || colon < text.lastIndexOf('/')) throw new BerthError('BAD_REQUEST', `${what} needs a tag (<project>/<repository>:<tag>) or a digest (@sha256:...)`);
    name = text.slice(0, colon);
    reference = { kind: 'tag', tag: requireTag(text.slice(colon + 1)) };
  }
  try {
    return { repository: parseRepositoryName(name), reference };
  } catch (err) {
    throw new BerthError('BAD_REQUEST', `invalid repository in ${what}: ${(err as Error).message}`);
  }
}
