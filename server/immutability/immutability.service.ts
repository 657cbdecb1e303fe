import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import { promotedTagsRepo } from './promoted-tags.repo.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { doublestar } from './doublestar.ts';
import { compileRule, immutableBy, type CompiledRule, type ImmutableRule, type ImmutableRuleDoc } from './immutable-rule.ts';
import type { ImmutableRuleReq, SelectorReq } from './immutable-rules.schema.ts';
import { immutableRulesRepo, type RuleFields } from './immutable-rules.repo.ts';
import type { Operator } from '../core/actor.ts';

/** Harbor's portal allows 15 immutability rules per project; Berth enforces it on the server. */
export const maxRulesPerProject = 15;

/**
 * Tag immutability: project rules (Harbor's ImmutableRule) and their evaluation. A project's enabled rules are
 * compiled once and kept in memory until they change, so checking a push costs no query once warm; changes made
 * here drop the project's entry here and on the other nodes.
 */
/** A project's enabled rules, compiled, and its promoted-tag locks (`repository\ttag` -> promotion id). */
interface Compiled {
  rules: CompiledRule[];
  locks: Map<string, number>;
}

export class ImmutabilityService {
  private readonly compiled = new Map<number, Compiled>();
  /** Bumped on every change to a project's rules: a load that raced a change does not fill the cache. */
  private readonly generations = new Map<number, number>();
  private epoch = 0;

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    cluster.register('immutability', (key) => (key === '*' ? this.dropAll() : this.drop(Number(key))));
  }

  page(project: ProjectRef, opts: Parameters<typeof immutableRulesRepo.page>[2]): Promise<{ rows: ImmutableRule[]; total: number }> {
    return immutableRulesRepo.page(this.db, project.id, opts);
  }

  async create(project: ProjectRef, req: ImmutableRuleReq, operator: Operator): Promise<number> {
    const fields = ruleFields(req);
    const result = await immutableRulesRepo.insert(this.db, project.id, fields, maxRulesPerProject);
    if (result === 'full') throw new BerthError('BAD_REQUEST', `project ${project.name} already has ${maxRulesPerProject} immutability rules, the most allowed; change or delete one`);
    if (result === 'duplicate') throw new BerthError('CONFLICT', `project ${project.name} already has an immutability rule with these selectors`);
    this.changed(project.id);
    this.events.emit('policy.created', operator, { kind: 'immutability', projectId: project.id, policyId: result.id, name: describeRule(fields.doc) });
    return result.id;
  }

  async update(project: ProjectRef, id: number, req: ImmutableRuleReq, operator: Operator): Promise<void> {
    if (req.id !== undefined && req.id !== null && req.id !== id) throw new BerthError('BAD_REQUEST', `the body's id ${req.id} does not match the rule id ${id} in the path`);
    const fields = ruleFields(req);
    const result = await immutableRulesRepo.update(this.db, project.id, id, fields);
    if (result === 'duplicate') throw new BerthError('CONFLICT', `project ${project.name} already has an immutability rule with these selectors`);
    if (!result) throw new BerthError('NOT_FOUND', `immutability rule ${id} not found in project ${project.name}`);
    this.changed(project.id);
    this.events.emit('policy.updated', operator, { kind: 'immutability', projectId: project.id, policyId: id, name: describeRule(fields.doc) });
  }

  async delete(project: ProjectRef, id: number, operator: Operator): Promise<void> {
    const rule = await immutableRulesRepo.find(this.db, project.id, id);
    if (!rule || !(await immutableRulesRepo.delete(this.db, project.id, id))) throw new BerthError('NOT_FOUND', `immutability rule ${id} not found in project ${project.name}`);
    this.changed(project.id);
    this.events.emit('policy.deleted', operator, { kind: 'immutability', projectId: project.id, policyId: id, name: describeRule(rule.doc) });
  }

  /**
   * What makes `tag` of `repository` (the full name, `<project>/<repo>`) immutable: an enabled rule, or a promotion
   * that applied the tag in a stage keeping promoted tags immutable; undefined when nothing does. `why` reads
   * "rule 3" or "promotion 12". A project without rules or locks is answered from memory.
   */
  async ruleFor(projectId: number, repository: string, tag: string): Promise<{ id: number; why: string } | undefined> {
    const { rules, locks } = await this.rulesOf(projectId);
    const promotion = locks.get(`${repository}\t${tag}`);
    if (promotion !== undefined) return { id: promotion, why: `applied by promotion ${promotion}` };
    const rule = rules.length ? immutableBy(rules, inProject(repository), tag) : undefined;
    return rule && { id: rule.id, why: `rule ${rule.id}` };
  }

  /** Which of `tags` of `repository` (the full name) are immutable: for the artifacts API's `with_immutable_status`. */
  async immutableTags(projectId: number, repository: string, tags: readonly string[]): Promise<Set<string>> {
    const { rules, locks } = await this.rulesOf(projectId);
    if (!rules.length && !locks.size) return new Set();
    const name = inProject(repository);
    return new Set(tags.filter((t) => locks.has(`${repository}\t${t}`) || immutableBy(rules, name, t)));
  }

  /** After a promotion locked tags in a project (or released them): reload its locks here and on every node. */
  locksChanged(projectId: number): void {
    this.changed(projectId);
  }

  private async rulesOf(projectId: number): Promise<Compiled> {
    const cached = this.compiled.get(projectId);
    if (cached) return cached;
    const generation = this.generationOf(projectId);
    const [rules, locks] = await Promise.all([immutableRulesRepo.enabled(this.db, projectId), promotedTagsRepo.ofProject(this.db, projectId)]);
    const compiled = { rules: rules.map(compileRule), locks };
    if (this.generationOf(projectId) === generation) this.compiled.set(projectId, compiled);
    return compiled;
  }

  private generationOf(projectId: number): string {
    return `${this.epoch}:${this.generations.get(projectId) ?? 0}`;
  }

  private changed(projectId: number): void {
    this.cluster.invalidate('immutability', String(projectId));
  }

  /** Everything, when this node may have missed changes: the epoch keeps loads in flight from refilling. */
  private dropAll(): void {
    this.epoch++;
    this.compiled.clear();
  }

  private drop(projectId: number): void {
    this.generations.set(projectId, (this.generations.get(projectId) ?? 0) + 1);
    this.compiled.delete(projectId);
  }
}

/** The repository's name inside its project: rules match `app/web` for `proj/app/web`, as Harbor's do. */
function inProject(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(slash + 1);
}

const describeRule = (doc: ImmutableRuleDoc): string => {
  const repo = doc.scope_selectors.repository[0];
  const tag = doc.tag_selectors[0];
  return `repositories ${repo.decoration === 'repoMatches' ? 'matching' : 'excluding'} ${repo.pattern}, tags ${tag.decoration === 'matches' ? 'matching' : 'excluding'} ${tag.pattern}`;
};

/** A request's rule, checked field by field with messages that name the field; defaults as Harbor's portal sends. */
function ruleFields(req: ImmutableRuleReq): RuleFields {
  const action = req.action ?? 'immutable';
  if (action !== 'immutable') throw new BerthError('BAD_REQUEST', `action must be "immutable", not "${action}"`);
  const template = req.template ?? 'immutable_template';
  if (template !== 'immutable_template') throw new BerthError('BAD_REQUEST', `template must be "immutable_template", not "${template}"`);
  const tag = selector(req.tag_selectors[0]!, 'tag_selectors[0]', ['matches', 'excludes']);
  const repo = selector(req.scope_selectors.repository[0]!, 'scope_selectors.repository[0]', ['repoMatches', 'repoExcludes']);
  const doc = {
    action,
    template,
    ...(req.params && Object.keys(req.params).length ? { params: req.params } : {}),
    tag_selectors: [tag],
    scope_selectors: { repository: [repo] },
  } as ImmutableRuleDoc;
  return { priority: req.priority ?? 0, disabled: req.disabled ?? false, doc };
}

function selector(s: SelectorReq, at: string, decorations: string[]): SelectorReq & { kind: 'doublestar' } {
  if (s.kind !== 'doublestar') throw new BerthError('BAD_REQUEST', `${at}.kind must be "doublestar", not "${s.kind}"`);
  if (!decorations.includes(s.decoration)) {
    throw new BerthError('BAD_REQUEST', `${at}.decoration must be ${decorations.map((d) => `"${d}"`).join(' or ')}, not "${s.decoration}"`);
  }
  try {
    doublestar(s.pattern);
  } catch (err) {
    throw new BerthError('BAD_REQUEST', `${at}.pattern "${s.pattern}" is not a valid doublestar pattern: ${(err as Error).message}`);
  }
  return { kind: 'doublestar', decoration: s.decoration, pattern: s.pattern, ...(s.extras ? { extras: s.extras } : {}) };
}
