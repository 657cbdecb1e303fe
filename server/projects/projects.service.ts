import type { Knex } from 'knex';
import type { ProjectRow } from '../db/types.ts';
import { projectsRepo } from './projects.repo.ts';

/** What the registry hot path needs to know about a project. */
export interface ProjectRef {
  id: number;
  name: string;
  public: boolean;
}

/**
 * Projects, with a read-through cache: every /v2 request resolves its project, and a query costs more than the
 * whole budget of a manifest GET. Changes go through this service, which drops the cached entry.
 */
export class ProjectsService {
  private readonly cache = new Map<string, ProjectRef | null>();

  constructor(private readonly db: Knex) {}

  async findByName(name: string): Promise<ProjectRef | null> {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const row = await projectsRepo.findByName(this.db, name);
    const ref = row ? toRef(row) : null;
    // Unknown names are not cached: a client probing random names must not grow memory.
    if (ref) this.cache.set(name, ref);
    return ref;
  }

  async ensure(name: string, isPublic: boolean, ownerId: number | null): Promise<ProjectRef> {
    const row = await projectsRepo.ensure(this.db, { name, public: isPublic, ownerId });
    this.cache.delete(name);
    return toRef(row);
  }

  async publicIds(): Promise<number[]> {
    return projectsRepo.publicIds(this.db);
  }
}

const toRef = (row: ProjectRow): ProjectRef => ({ id: row.id, name: row.name, public: row.public });
