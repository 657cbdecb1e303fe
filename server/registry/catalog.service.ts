import type { Knex } from 'knex';
import { repositoriesRepo } from '../artifacts/repositories.repo.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { Principal } from '../auth/principal.ts';
import type { ProjectsService } from '../projects/projects.service.ts';

/** The catalog lists the repositories the caller may read: all for administrators, else public and member projects. */
export class CatalogService {
  constructor(
    private readonly db: Knex,
    private readonly projects: ProjectsService,
    private readonly access: AccessPolicy,
  ) {}

  async page(principal: Principal, opts: { last?: string; limit: number }): Promise<{ repositories: string[]; more: boolean }> {
    if (opts.limit === 0) return { repositories: [], more: false };
    const projectIds = await this.access.listableProjectIds(principal, () => this.projects.publicIds());
    const names = await repositoriesRepo.names(this.db, { last: opts.last, limit: opts.limit + 1, projectIds });
    return { repositories: names.slice(0, opts.limit), more: names.length > opts.limit };
  }
}
