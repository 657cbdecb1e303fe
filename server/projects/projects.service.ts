import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { ProjectRow } from '../db/types.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import { projectsRepo, type ProjectView } from './projects.repo.ts';
import { membersRepo } from './members.repo.ts';
import { quotasRepo } from '../quotas/quotas.repo.ts';
import { roles } from '../auth/permissions.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import type { Operator } from '../core/actor.ts';

/** What the registry hot path needs to know about a project. */
export interface ProjectRef {
  id: number;
  name: string;
  public: boolean;
  /** Harbor's string settings (`prevent_vul`, `severity`, `enable_content_trust_cosign`, ...), read by pull enforcement. */
  metadata?: Readonly<Record<string, string>>;
}

// Harbor's project name rule, which also keeps every project a valid first component of a repository name.
const namePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * Projects, with a read-through cache: every /v2 request resolves its project, and a query costs more than the
 * whole budget of a manifest GET. Changes go through this service, which drops the cached entry.
 */
export class ProjectsService {
  private readonly cache = new Map<string, ProjectRef | null>();

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    /** The storage limit of a project created without one (run-time setting `storage_per_project`; -1 unlimited). */
    private readonly defaultStorageLimit: () => number = () => -1,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    cluster.register('projects', (name) => (name === '*' ? this.cache.clear() : this.cache.delete(name)));
  }

  async findByName(name: string): Promise<ProjectRef | null> {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const row = await projectsRepo.findByName(this.db, name);
    const ref = row ? toRef(row) : null;
    // Unknown names are not cached: a client probing random names must not grow memory.
    if (ref) this.cache.set(name, ref);
    return ref;
  }

  /** Creates a project unless it exists (bootstrap, tests), with its quota row at the default limit. */
  async ensure(name: string, isPublic: boolean, ownerId: number | null): Promise<ProjectRef> {
    const row = await projectsRepo.ensure(this.db, { name, public: isPublic, ownerId });
    await quotasRepo.create(this.db, row.id, this.defaultStorageLimit());
    this.cluster.invalidate('projects', name);
    return toRef(row);
  }

  async publicIds(): Promise<number[]> {
    return projectsRepo.publicIds(this.db);
  }

  /** A project by id, or by name when `byName`; NOT_FOUND otherwise. */
  async view(idOrName: string, byName: boolean): Promise<ProjectView> {
    // No project has such a name, and PostgreSQL could not even compare it (NUL).
    if (idOrName.length > 255 || idOrName.includes('\u0000')) throw new BerthError('NOT_FOUND', 'project not found');
    const where = !byName && /^\d{1,9}$/.test(idOrName) ? { id: Number(idOrName) } : { name: idOrName };
    const view = await projectsRepo.view(this.db, where);
    if (!view) throw new BerthError('NOT_FOUND', `project ${idOrName} not found`);
    return view;
  }

  /**
   * Creates a project owned by `ownerId`, who becomes its ProjectAdmin, with its storage quota (`storageLimit`, else
   * the configured default), in one transaction.
   */
  async create(p: { name: string; public: boolean; metadata: Record<string, string>; ownerId: number; storageLimit?: number }, operator: Operator): Promise<number> {
    if (p.name.length > 255 || !namePattern.test(p.name)) {
      throw new BerthError('BAD_REQUEST', 'project_name must be lower-case letters and digits, separated by single ".", "_" or "-"');
    }
    const id = await this.db.transaction(async (trx) => {
      const created = await projectsRepo.insert(trx, { name: p.name, public: p.public, ownerId: p.ownerId, metadata: p.metadata });
      if (created === null) return null;
      await membersRepo.upsert(trx, { projectId: created, entityType: 'u', entityId: p.ownerId, role: roles.projectAdmin });
      await quotasRepo.create(trx, created, p.storageLimit ?? this.defaultStorageLimit());
      return created;
    });
    if (id === null) throw new BerthError('CONFLICT', `a project named "${p.name}" already exists`);
    this.cluster.invalidate('projects', p.name);
    this.events.emit('project.created', operator, { projectId: id, name: p.name, public: p.public });
    return id;
  }

  async update(project: ProjectView, changes: { public: boolean; metadata: Record<string, string> }, operator: Operator): Promise<void> {
    await projectsRepo.update(this.db, project.id, changes);
    this.cluster.invalidate('projects', project.name);
    this.events.emit('project.updated', operator, { projectId: project.id, name: project.name, public: changes.public });
  }

  /** Deletes an empty project; one that still holds repositories is refused with 412. */
  async delete(project: ProjectView, operator: Operator): Promise<void> {
    if (project.repo_count > 0) {
      throw new BerthError('PRECONDITION', `project ${project.name} still holds ${project.repo_count} repositories; delete them first`);
    }
    await projectsRepo.delete(this.db, project.id);
    this.cluster.invalidate('projects', project.name);
    this.events.emit('project.deleted', operator, { projectId: project.id, name: project.name });
  }

  page(opts: { visibleIds?: number[]; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }) {
    return projectsRepo.page(this.db, opts);
  }

  memberCounts(projectId: number): Promise<Map<number, number>> {
    return projectsRepo.memberCounts(this.db, projectId);
  }
}

const toRef = (row: ProjectRow): ProjectRef => ({ id: row.id, name: row.name, public: row.public, metadata: row.metadata ?? {} });
