import { doublestar } from './doublestar.ts';

/** Harbor's ImmutableSelector: a doublestar pattern with how to apply it. */
export interface ImmutableSelector {
  kind: 'doublestar';
  decoration: string;
  pattern: string;
  extras?: string;
}

/** What is stored of a rule besides its id, priority and disabled flag (Harbor's ImmutableRule without those). */
export interface ImmutableRuleDoc {
  action: 'immutable';
  template: 'immutable_template';
  params?: Record<string, unknown>;
  tag_selectors: [ImmutableSelector & { decoration: 'matches' | 'excludes' }];
  scope_selectors: { repository: [ImmutableSelector & { decoration: 'repoMatches' | 'repoExcludes' }] };
}

export interface ImmutableRule {
  id: number;
  projectId: number;
  priority: number;
  disabled: boolean;
  doc: ImmutableRuleDoc;
}

/** A rule ready to test tags: does it make `tag` of `repository` (the name inside the project) immutable? */
export type CompiledRule = { id: number; matches(repository: string, tag: string): boolean };

/**
 * Compiles a rule as Harbor evaluates it: the repository selector (`repoMatches`/`repoExcludes`) tests the
 * repository's name inside the project (`app/web` for `proj/app/web`), the tag selector (`matches`/`excludes`)
 * the tag; a tag is immutable when both pass. Throws when a pattern is malformed (rules are validated on save).
 */
export function compileRule(rule: Pick<ImmutableRule, 'id' | 'doc'>): CompiledRule {
  const repo = rule.doc.scope_selectors.repository[0];
  const tag = rule.doc.tag_selectors[0];
  const repoMatch = doublestar(repo.pattern);
  const tagMatch = doublestar(tag.pattern);
  const repoExcludes = repo.decoration === 'repoExcludes';
  const tagExcludes = tag.decoration === 'excludes';
  return {
    id: rule.id,
    matches: (repository, name) => repoMatch(repository) !== repoExcludes && tagMatch(name) !== tagExcludes,
  };
}

/** The first enabled rule that makes `tag` immutable, or undefined. */
export function immutableBy(rules: readonly CompiledRule[], repository: string, tag: string): CompiledRule | undefined {
  return rules.find((r) => r.matches(repository, tag));
}
