import picomatch from 'picomatch';

/**
 * Berth's policy filters: doublestar patterns on the repository name inside the project (`team/**` matches
 * `proj/team/app`) and on tags. Empty or absent lists let everything through. A pattern starting with `!`
 * matches what the rest does not.
 */
export interface WebhookFilters {
  repositories?: string[];
  tags?: string[];
}

/** What filters look at: the repository inside its project and the tags an event names. */
export interface FilterSubject {
  /** `team/app` for `proj/team/app`; absent when the event names no repository (a project-wide quota event). */
  repository?: string;
  tags: string[];
}

export const maxPatterns = 20;
const maxPatternLength = 255;
// Whitespace and control characters are never part of a repository name or tag, so they are typos.
const badCharacters = /[\s\x00-\x1f\x7f\\]/;

/** The first problem with a filter document, or null when it is usable. */
export function filterProblem(filters: WebhookFilters): string | null {
  for (const key of ['repositories', 'tags'] as const) {
    const patterns = filters[key];
    if (patterns === undefined) continue;
    if (patterns.length > maxPatterns) return `filters.${key} holds more than ${maxPatterns} patterns`;
    for (const pattern of patterns) {
      if (pattern.length === 0 || pattern.length > maxPatternLength) return `filters.${key}: a pattern must be 1-${maxPatternLength} characters`;
      if (badCharacters.test(pattern)) return `filters.${key}: "${pattern.slice(0, 50)}" contains whitespace, a backslash or a control character`;
      if (key === 'tags' && pattern.includes('/')) return `filters.tags: "${pattern.slice(0, 50)}" contains "/", which no tag has`;
      try {
        picomatch.makeRe(pattern, { strictBrackets: true });
      } catch {
        return `filters.${key}: "${pattern.slice(0, 50)}" is not a valid pattern (unbalanced brackets or braces)`;
      }
    }
  }
  return null;
}

type Matcher = (value: string) => boolean;

const anyOf = (patterns: string[] | undefined): Matcher | null => {
  if (!patterns?.length) return null;
  const matchers = patterns.map((p) => picomatch(p, { dot: true }));
  return (value) => matchers.some((m) => m(value));
};

/**
 * Compiles filters into one predicate. A repository filter passes an event only when it names a repository that
 * matches; a tag filter only when one of its tags matches (so an artifact pushed by digest, with no tag, does not
 * pass a tag filter).
 */
export function compileFilters(filters: WebhookFilters): (subject: FilterSubject) => boolean {
  const repositories = anyOf(filters.repositories);
  const tags = anyOf(filters.tags);
  return (subject) => {
    if (repositories && (subject.repository === undefined || !repositories(subject.repository))) return false;
    if (tags && !subject.tags.some((t) => tags(t))) return false;
    return true;
  };
}
