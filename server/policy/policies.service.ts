import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { operatorName, type Operator } from '../core/actor.ts';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import type { PolicyDocument, PolicyKind, PromotionLadderDoc, StoredPolicy, TrustPolicyDoc } from './documents.ts';
import { policiesRepo, type PolicyVersionRow } from './policies.repo.ts';
import { validatePolicyDocument, type PolicyProblem } from './validate.ts';

export interface ApplyResult {
  /** False when the document was identical to the current version (nothing written). */
  created: boolean;
  policy: StoredPolicy;
  /** Stage projects the ladder created. */
  projectsCreated: string[];
  /** What is accepted but not yet usable (a gate naming a trust policy that does not exist fails closed). */
  warnings: string[];
}

/** JSON with object keys sorted, so the same content always has the same digest whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const toStored = (row: PolicyVersionRow): StoredPolicy => ({
  kind: row.kind,
  name: row.name,
  version: row.version,
  document: row.document!,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

const invalid = (problems: PolicyProblem[]): BerthError =>
  new BerthError('BAD_REQUEST', `invalid policy document: ${problems.slice(0, 3).map((p) => `${p.path || '/'} ${p.message}`).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`, { problems });

/** Trust policies a ladder's gates name, with the JSON pointer of each mention. */
function trustReferences(ladder: PromotionLadderDoc): Array<{ name: string; path: string }> {
  const refs: Array<{ name: string; path: string }> = [];
  (ladder.spec.transitions ?? []).forEach((t, ti) =>
    t.gates.forEach((g, gi) => {
      if ((g.type === 'signature' || g.type === 'referrer') && g.trustPolicy) refs.push({ name: g.trustPolicy, path: `/spec/transitions/${ti}/gates/${gi}/trustPolicy` });
    }),
  );
  return refs;
}

/**
 * The policy store: documents validated against their schemas, versioned (each change of content is a new version,
 * identical content is not), readable at any version, and deleted by a tombstone version so history stays. The
 * current documents are held in memory (there are few, and every promotion and guarded pull reads them), dropped on
 * every node when one changes.
 */
export class PoliciesService {
  private current?: Promise<Map<string, StoredPolicy>>;

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly projects: ProjectsService,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
    /** Trust policies named by projects' `trust_policy` setting (they cannot be deleted while named). */
    private readonly projectsNaming: (trustPolicy: string) => Promise<string[]> = async () => [],
  ) {
    cluster.register('policies', () => (this.current = undefined));
  }

  private heads(): Promise<Map<string, StoredPolicy>> {
    this.current ??= policiesRepo.heads(this.db).then((rows) => new Map(rows.filter((r) => !r.deleted).map((r) => [`${r.kind}/${r.name}`, toStored(r)])));
    // A failed read is not cached.
    this.current.catch(() => (this.current = undefined));
    return this.current;
  }

  async get<K extends PolicyKind>(kind: K, name: string): Promise<StoredPolicy<Extract<PolicyDocument, { kind: K }>> | undefined> {
    return (await this.heads()).get(`${kind}/${name}`) as StoredPolicy<Extract<PolicyDocument, { kind: K }>> | undefined;
  }

  async list(kind?: PolicyKind): Promise<StoredPolicy[]> {
    return [...(await this.heads()).values()].filter((p) => !kind || p.kind === kind);
  }

  async ladder(name: string): Promise<StoredPolicy<PromotionLadderDoc> | undefined> {
    return this.get('PromotionLadder', name);
  }

  async trustPolicy(name: string): Promise<StoredPolicy<TrustPolicyDoc> | undefined> {
    return this.get('TrustPolicy', name);
  }

  /** The ladder with a stage in this project (a project is a stage of at most one ladder). */
  async ladderFor(projectName: string): Promise<StoredPolicy<PromotionLadderDoc> | undefined> {
    for (const p of (await this.heads()).values()) {
      if (p.kind === 'PromotionLadder' && (p.document as PromotionLadderDoc).spec.stages.some((s) => s.project === projectName)) return p as StoredPolicy<PromotionLadderDoc>;
    }
    return undefined;
  }

  /** Every version of a document, newest first, tombstones included (`deleted`). */
  async versions(kind: PolicyKind, name: string): Promise<Array<StoredPolicy & { deleted: boolean }>> {
    const rows = await policiesRepo.versions(this.db, kind, name);
    if (rows.length === 0) throw new BerthError('NOT_FOUND', `no ${kind} named ${name}`);
    return rows.map((r) => ({ ...toStored(r), deleted: r.deleted }));
  }

  async version(kind: PolicyKind, name: string, version: number): Promise<StoredPolicy & { deleted: boolean }> {
    const row = await policiesRepo.version(this.db, kind, name, version);
    if (!row) throw new BerthError('NOT_FOUND', `${kind} ${name} has no version ${version}`);
    return { ...toStored(row), deleted: row.deleted };
  }

  /**
   * Validates and stores a document. Identical content to the current version writes nothing (`created: false`), so
   * applying the same files again is harmless. A ladder's missing stage projects are created, owned by `ownerId`.
   */
  async apply(input: unknown, operator: Operator, ownerId: number): Promise<ApplyResult> {
    const checked = validatePolicyDocument(input);
    if (!checked.ok) throw invalid(checked.problems);
    const doc = checked.document;
    const warnings = doc.kind === 'PromotionLadder' ? await this.checkLadder(doc) : [];
    const digest = createHash('sha256').update(canonical(doc)).digest('hex');

    // Two writers racing for the same version: the loser re-reads and decides again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const head = await policiesRepo.head(this.db, doc.kind, doc.metadata.name);
      if (head && !head.deleted && head.content_digest === digest) {
        return { created: false, policy: toStored(head), projectsCreated: await this.ensureStages(doc, operator, ownerId), warnings };
      }
      const row = await policiesRepo.insert(this.db, {
        kind: doc.kind,
        name: doc.metadata.name,
        version: (head?.version ?? 0) + 1,
        document: doc,
        content_digest: digest,
        created_by: operatorName(operator),
        deleted: false,
      });
      if (!row) continue;
      this.cluster.invalidate('policies', '*');
      const projectsCreated = await this.ensureStages(doc, operator, ownerId);
      this.events.emit(head && !head.deleted ? 'policy.updated' : 'policy.created', operator, { kind: doc.kind, projectId: null, policyId: row.id, name: row.name });
      return { created: true, policy: toStored(row), projectsCreated, warnings };
    }
    throw new BerthError('CONFLICT', `${doc.kind} ${doc.metadata.name} is being changed concurrently; try again`);
  }

  /** Deletes a document (a tombstone version); refused while another document or a project relies on it. */
  async delete(kind: PolicyKind, name: string, operator: Operator): Promise<void> {
    const current = await this.get(kind, name);
    if (!current) throw new BerthError('NOT_FOUND', `no ${kind} named ${name}`);
    if (kind === 'TrustPolicy') {
      const ladders = (await this.list('PromotionLadder')).filter((l) => trustReferences(l.document as PromotionLadderDoc).some((r) => r.name === name)).map((l) => l.name);
      const projects = await this.projectsNaming(name);
      if (ladders.length || projects.length) {
        const by = [...ladders.map((l) => `ladder ${l}`), ...projects.map((p) => `project ${p}`)];
        throw new BerthError('PRECONDITION', `trust policy ${name} is in use by ${by.join(', ')}; change them first`, { ladders, projects });
      }
    }
    const row = await policiesRepo.insert(this.db, {
      kind,
      name,
      version: current.version + 1,
      document: null,
      content_digest: '',
      created_by: operatorName(operator),
      deleted: true,
    });
    if (!row) throw new BerthError('CONFLICT', `${kind} ${name} is being changed concurrently; try again`);
    this.cluster.invalidate('policies', '*');
    this.events.emit('policy.deleted', operator, { kind, projectId: null, policyId: row.id, name });
  }

  /** Cross-document rules: a project is a stage of one ladder only; trust policies named must exist (else a warning). */
  private async checkLadder(doc: PromotionLadderDoc): Promise<string[]> {
    const problems: PolicyProblem[] = [];
    const others = (await this.list('PromotionLadder')).filter((l) => l.name !== doc.metadata.name);
    doc.spec.stages.forEach((stage, i) => {
      const owner = others.find((l) => (l.document as PromotionLadderDoc).spec.stages.some((s) => s.project === stage.project));
      if (owner) problems.push({ path: `/spec/stages/${i}/project`, message: `project ${stage.project} is already a stage of ladder ${owner.name}` });
    });
    if (problems.length) throw invalid(problems);
    const warnings: string[] = [];
    for (const ref of trustReferences(doc)) {
      if (!(await this.trustPolicy(ref.name))) warnings.push(`${ref.path}: trust policy ${ref.name} does not exist yet; the gate fails until it is applied`);
    }
    return warnings;
  }

  private async ensureStages(doc: PolicyDocument, operator: Operator, ownerId: number): Promise<string[]> {
    if (doc.kind !== 'PromotionLadder') return [];
    const created: string[] = [];
    for (const stage of doc.spec.stages) {
      if (await this.projects.findByName(stage.project)) continue;
      try {
        await this.projects.create({ name: stage.project, public: stage.public ?? false, metadata: {}, ownerId }, operator);
        created.push(stage.project);
      } catch (err) {
        // Created by someone else in the meantime: it exists, which is all a ladder needs.
        if (!(err instanceof BerthError && err.code === 'CONFLICT')) throw err;
      }
    }
    return created;
  }
}
