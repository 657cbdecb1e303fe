import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import { Lru } from '../core/lru.ts';
import type { SecretBox } from '../core/secret-box.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { compileFilters, type FilterSubject } from './filters.ts';
import { policyValues, type PolicyDefaults } from './policy-input.ts';
import type { WebhookPolicyReq } from './webhooks.schema.ts';
import { webhookPoliciesRepo, type WebhookPolicyRow } from './webhooks.repo.ts';
import { deliveriesRepo } from './deliveries.repo.ts';
import { operatorName, type Operator } from '../core/actor.ts';

/** An enabled policy with its filters compiled, as the event subscriber uses it. */
export interface ActivePolicy {
  row: WebhookPolicyRow;
  passes(subject: FilterSubject): boolean;
}

/** Harbor's last-trigger entry: one per policy and event type. */
export interface LastTrigger {
  policy: WebhookPolicyRow;
  eventType: string;
  last: Date | null;
}

/**
 * Project webhook policies. Secrets (the HMAC secret, each target's auth header) are sealed before they are
 * stored and never leave the service in clear. The enabled policies of a project are cached for the event
 * subscriber, dropped on every change (here and, through the invalidator, on the other nodes) and re-read after
 * `cacheTtlMs` at the latest.
 */
export class WebhooksService {
  private readonly active = new Lru<number, { loadedAt: number; policies: Promise<ActivePolicy[]> }>(10_000);

  constructor(
    private readonly db: Knex,
    private readonly secrets: SecretBox,
    private readonly events: EventBus,
    private readonly defaults: PolicyDefaults,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
    private readonly cacheTtlMs = 30_000,
  ) {
    cluster.register('webhooks', (key) => (key === '*' ? this.active.clear() : this.active.delete(Number(key))));
  }

  async get(projectId: number, id: number): Promise<WebhookPolicyRow> {
    const row = await webhookPoliciesRepo.find(this.db, projectId, id);
    if (!row) throw new BerthError('NOT_FOUND', `webhook policy ${id} not found in this project`);
    return row;
  }

  page(opts: { projectId: number; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }) {
    return webhookPoliciesRepo.page(this.db, opts);
  }

  async create(project: ProjectRef, req: WebhookPolicyReq, operator: Operator): Promise<number> {
    const values = policyValues(req, undefined, this.secrets, this.defaults);
    const id = await webhookPoliciesRepo.insert(this.db, project.id, operatorName(operator), values);
    if (id === null) throw new BerthError('CONFLICT', `project ${project.name} has a webhook policy named "${values.name}" already`);
    this.changed(project.id);
    this.events.emit('policy.created', operator, { kind: 'webhook', projectId: project.id, policyId: id, name: values.name });
    return id;
  }

  async update(project: ProjectRef, policy: WebhookPolicyRow, req: WebhookPolicyReq, operator: Operator): Promise<void> {
    const values = policyValues(req, policy, this.secrets, this.defaults);
    if (!(await webhookPoliciesRepo.update(this.db, policy.id, values))) {
      throw new BerthError('CONFLICT', `project ${project.name} has a webhook policy named "${values.name}" already`);
    }
    this.changed(project.id);
    this.events.emit('policy.updated', operator, { kind: 'webhook', projectId: project.id, policyId: policy.id, name: values.name });
  }

  /** Deletes a policy with its delivery log (pending deliveries are dropped with it). */
  async delete(project: ProjectRef, policy: WebhookPolicyRow, operator: Operator): Promise<void> {
    await webhookPoliciesRepo.delete(this.db, policy.id);
    this.changed(project.id);
    this.events.emit('policy.deleted', operator, { kind: 'webhook', projectId: project.id, policyId: policy.id, name: policy.name });
  }

  /** The enabled policies of a project, from the cache when fresh. */
  activePolicies(projectId: number): Promise<ActivePolicy[]> {
    const hit = this.active.get(projectId);
    if (hit && Date.now() - hit.loadedAt < this.cacheTtlMs) return hit.policies;
    const entry = {
      loadedAt: Date.now(),
      policies: webhookPoliciesRepo.enabledOf(this.db, projectId).then((rows) => rows.map((row) => ({ row, passes: compileFilters(row.filters) }))),
    };
    this.active.set(projectId, entry);
    // A failed read is not cached.
    entry.policies.catch(() => {
      if (this.active.get(projectId) === entry) this.active.delete(projectId);
    });
    return entry.policies;
  }

  /** Harbor's last-trigger view: each policy's event types with the time a delivery was last created for them. */
  async lastTriggers(projectId: number): Promise<LastTrigger[]> {
    const policies = await webhookPoliciesRepo.allOf(this.db, projectId);
    const pairs = policies.flatMap((p) => p.event_types.map((event_type) => ({ policy_id: p.id, event_type })));
    const last = new Map((await deliveriesRepo.lastTriggers(this.db, pairs)).map((r) => [`${r.policy_id}:${r.event_type}`, r.last]));
    return policies.flatMap((policy) => policy.event_types.map((eventType) => ({ policy, eventType, last: last.get(`${policy.id}:${eventType}`) ?? null })));
  }

  /** The HMAC secret in clear, for signing (null when the policy has none). */
  secretOf(policy: WebhookPolicyRow): string | null {
    return policy.secret_encrypted ? this.secrets.open(policy.secret_encrypted) : null;
  }

  private changed(projectId: number): void {
    this.cluster.invalidate('webhooks', String(projectId));
  }
}
