import type { Knex } from 'knex';
import type { Operator } from '../core/actor.ts';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import type { ProjectsService } from '../projects/projects.service.ts';

/** Harbor's CVEAllowlist as stored: CVE ids and an optional expiry after which the whole list stops applying. */
export interface CveAllowlist {
  id: number;
  /** Null for the system's list. */
  projectId: number | null;
  items: string[];
  expiresAt: Date | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

export interface EffectiveAllowlist {
  cves: ReadonlySet<string>;
  /** The list that applies has expired: none of its CVEs is set aside. */
  expired: boolean;
  /** Where it comes from. */
  source: 'system' | 'project';
  expiresAt: Date | null;
}

interface Row {
  id: number;
  project_id: number | null;
  items: string[];
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toList = (r: Row | undefined, projectId: number | null): CveAllowlist =>
  r
    ? { id: r.id, projectId: r.project_id, items: r.items, expiresAt: r.expires_at, createdAt: r.created_at, updatedAt: r.updated_at }
    : { id: 0, projectId, items: [], expiresAt: null, createdAt: null, updatedAt: null };

const cvePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * CVE allowlists, the system's and each project's (Harbor's `/system/CVEAllowlist` and a project's `cve_allowlist`).
 * A project uses the system's list unless its `reuse_sys_cve_allowlist` is "false" (Harbor's portal creates projects
 * reusing it). The effective list is cached per project and dropped on every node when a list or a project changes.
 */
export class AllowlistsService {
  private readonly effectiveCache = new Map<number, Promise<EffectiveAllowlist>>();

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly projects: ProjectsService,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    cluster.register('cve-allowlists', () => this.effectiveCache.clear());
    events.on('project.updated', () => cluster.invalidate('cve-allowlists', '*'));
  }

  async get(projectId: number | null): Promise<CveAllowlist> {
    const row = await this.db('cve_allowlists').whereRaw('coalesce(project_id, 0) = ?', [projectId ?? 0]).first<Row | undefined>();
    return toList(row, projectId);
  }

  /** Replaces a list (Harbor's PUT overwrites): ids are trimmed and de-duplicated; expiry in seconds since the epoch. */
  async set(projectId: number | null, items: string[], expiresAt: number | null, operator: Operator): Promise<void> {
    const ids = [...new Set(items.map((i) => i.trim()).filter((i) => i !== ''))];
    const bad = ids.find((i) => !cvePattern.test(i));
    if (bad !== undefined) throw new BerthError('BAD_REQUEST', `"${bad.slice(0, 60)}" is not a vulnerability id (such as CVE-2024-1234)`);
    if (ids.length > 10_000) throw new BerthError('BAD_REQUEST', 'an allowlist holds at most 10000 entries');
    const expires = expiresAt === null || expiresAt === 0 ? null : new Date(expiresAt * 1000);
    await this.db.transaction(async (trx) => {
      const existing = await trx('cve_allowlists').whereRaw('coalesce(project_id, 0) = ?', [projectId ?? 0]).forUpdate().first<Row | undefined>();
      const values = { items: JSON.stringify(ids), expires_at: expires, updated_at: trx.fn.now() };
      if (existing) await trx('cve_allowlists').where({ id: existing.id }).update(values);
      else await trx('cve_allowlists').insert({ project_id: projectId, ...values });
    });
    this.cluster.invalidate('cve-allowlists', '*');
    const list = await this.get(projectId);
    this.events.emit('policy.updated', operator, { kind: 'cve_allowlist', projectId, policyId: list.id, name: projectId === null ? 'system' : `project ${projectId}` });
  }

  /** The list that applies to a project's artifacts (its own, or the system's). */
  effective(projectId: number, now = new Date()): Promise<EffectiveAllowlist> {
    let hit = this.effectiveCache.get(projectId);
    if (!hit) {
      hit = this.load(projectId);
      this.effectiveCache.set(projectId, hit);
      hit.catch(() => this.effectiveCache.delete(projectId));
    }
    // Expiry is judged at use, not when cached.
    return hit.then((e) => ({ ...e, expired: e.expiresAt !== null && e.expiresAt.getTime() <= now.getTime() }));
  }

  private async load(projectId: number): Promise<EffectiveAllowlist> {
    const project = await this.db('projects').where({ id: projectId }).first<{ name: string } | undefined>('name');
    const ref = project ? await this.projects.findByName(project.name) : null;
    const reuse = ref?.metadata?.reuse_sys_cve_allowlist !== 'false';
    const list = await this.get(reuse ? null : projectId);
    return { cves: new Set(list.items), expired: false, source: reuse ? 'system' : 'project', expiresAt: list.expiresAt };
  }
}
