import type { Knex } from 'knex';
import type { AccessPolicy } from '../auth/access.ts';
import { identityOf, type Principal } from '../auth/principal.ts';
import type { RepositoriesService } from '../artifacts/repositories.service.ts';
import { visibleProjectIds } from '../artifacts/visibility.ts';
import type { RepositoryViewRow } from '../artifacts/repository-views.repo.ts';
import type { ProjectView } from '../projects/projects.repo.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { statisticsRepo } from './statistics.repo.ts';

/** At most this many projects and this many repositories answer a search (Harbor returns all; Berth never loads all). */
export const maxSearchResults = 100;

export interface SearchResult {
  projects: ProjectView[];
  repositories: Array<RepositoryViewRow & { projectName: string; projectPublic: boolean }>;
}

/** Harbor's Statistic. */
export interface Statistic {
  private_project_count: number;
  private_repo_count: number;
  public_project_count: number;
  public_repo_count: number;
  total_project_count: number;
  total_repo_count: number;
  total_storage_consumption?: number;
}

/** `/search` and `/statistics`: what the caller may see, across projects. */
export class SearchService {
  constructor(
    private readonly db: Knex,
    private readonly projects: ProjectsService,
    private readonly repositories: RepositoriesService,
    private readonly access: AccessPolicy,
  ) {}

  /** Visible projects and repositories whose name contains `q` (case-insensitive), by name. */
  async search(principal: Principal, q: string): Promise<SearchResult> {
    const visible = await visibleProjectIds(principal, this.access, this.projects);
    const terms = q ? [{ key: 'name', op: 'fuzzy' as const, value: q }] : [];
    const projects = await this.projects.page({ visibleIds: visible, terms, sort: [{ column: 'p.name', order: 'asc' }], offset: 0, limit: maxSearchResults });
    const repos = await this.repositories.page({ projectIds: visible, terms, sort: [{ column: 'r.name', order: 'asc' }], offset: 0, limit: maxSearchResults });
    const repositories = [];
    for (const r of repos.rows) {
      const projectName = r.name.slice(0, r.name.indexOf('/'));
      const project = await this.projects.findByName(projectName);
      repositories.push({ ...r, projectName, projectPublic: project?.public ?? false });
    }
    return { projects: projects.rows, repositories };
  }

  /** Counts of what the caller may see; storage consumption for administrators only. */
  async statistics(principal: Principal): Promise<Statistic> {
    const visible = await visibleProjectIds(principal, this.access, this.projects);
    const [projects, repos] = await Promise.all([statisticsRepo.projectCounts(this.db, visible), statisticsRepo.repositoryCounts(this.db, visible)]);
    const who = identityOf(principal);
    const admin = who.kind === 'user' && who.sysadmin;
    return {
      private_project_count: projects.private,
      private_repo_count: repos.private,
      public_project_count: projects.public,
      public_repo_count: repos.public,
      total_project_count: projects.public + projects.private,
      total_repo_count: repos.public + repos.private,
      ...(admin ? { total_storage_consumption: await statisticsRepo.storageUsed(this.db) } : {}),
    };
  }
}
