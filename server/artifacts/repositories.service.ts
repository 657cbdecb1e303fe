import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { QueryTerm } from '../http/harbor-query.ts';
import type { ProjectRef } from '../projects/projects.service.ts';
import { artifactViewsRepo } from './artifact-views.repo.ts';
import type { ArtifactsService } from './artifacts.service.ts';
import { repositoryViewsRepo, type RepositoryViewRow } from './repository-views.repo.ts';
import type { Operator } from '../core/actor.ts';
import { tagsRepo } from './tags.repo.ts';

/** Repositories as the management API shows them: listing, description, and deletion of everything they hold. */
export class RepositoriesService {
  constructor(
    private readonly db: Knex,
    private readonly artifacts: ArtifactsService,
    private readonly events: EventBus,
  ) {}

  page(opts: { projectId?: number; projectIds?: number[]; terms: QueryTerm[]; sort: Array<{ column: string; order: 'asc' | 'desc' }>; offset: number; limit: number }) {
    return repositoryViewsRepo.page(this.db, opts);
  }

  /** A repository by its full name; NOT_FOUND when the project has none of that name. */
  async get(name: string): Promise<RepositoryViewRow> {
    const repo = await repositoryViewsRepo.byName(this.db, name);
    if (!repo) throw new BerthError('NOT_FOUND', `repository ${name.slice(0, 300)} not found`);
    return repo;
  }

  /** Sets the description, the only thing about a repository the API changes. */
  async update(project: ProjectRef, repo: RepositoryViewRow, description: string, operator: Operator): Promise<void> {
    await repositoryViewsRepo.updateDescription(this.db, repo.id, description);
    this.events.emit('repository.updated', operator, { projectId: project.id, projectName: project.name, repository: repo.name });
  }

  /**
   * Deletes every artifact of the repository through the artifact delete path (indexes before the children they
   * name, accessories with their subjects, each through ManifestService so quotas and tag immutability apply), then
   * the repository itself. A repository holding an immutable tag is refused (412) before anything is deleted.
   */
  async delete(project: ProjectRef, repo: RepositoryViewRow, operator: Operator): Promise<void> {
    const locked = await this.artifacts.immutableIn(repo, await tagsRepo.names(this.db, repo.id, { limit: 1_000_000 }));
    if (locked.size) {
      const some = [...locked].sort().slice(0, 5).join(', ');
      throw new BerthError('PRECONDITION', `the repository ${repo.name} holds immutable tags (${some}${locked.size > 5 ? ', ...' : ''}); it cannot be deleted`);
    }
    let deleted = 0;
    for (;;) {
      const roots = await artifactViewsRepo.roots(this.db, repo.id, 100);
      if (roots.length === 0) break;
      for (const digest of roots) {
        const artifact = await artifactViewsRepo.byDigest(this.db, repo.id, digest);
        if (artifact) deleted += await this.artifacts.delete(project, artifact, operator);
      }
    }
    if (!(await repositoryViewsRepo.deleteIfEmpty(this.db, repo.id))) {
      throw new BerthError('CONFLICT', `artifacts were pushed to ${repo.name} while it was being deleted; delete it again`);
    }
    this.events.emit('repository.deleted', operator, { projectId: project.id, projectName: project.name, repository: repo.name, artifacts: deleted });
  }
}
