import type { Context } from 'koa';
import type { AccessPolicy } from '../auth/access.ts';
import type { Permission } from '../auth/permissions.ts';
import type { LabelsService } from '../labels/labels.service.ts';
import type { MembersService } from '../projects/members.service.ts';
import type { ProjectView } from '../projects/projects.repo.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import type { RepositoryName } from '../registry/names.ts';
import { requireProjectPermission } from './route-access.ts';
import type { ArtifactViewRow } from './artifact-views.repo.ts';
import type { ArtifactsService } from './artifacts.service.ts';
import type { CopyService } from './copy.service.ts';
import { repositoryNameParam } from './path-params.ts';
import type { RepositoriesService } from './repositories.service.ts';
import type { RepositoryViewRow } from './repository-views.repo.ts';

export interface ArtifactRouteDeps {
  projects: ProjectsService;
  members: MembersService;
  access: AccessPolicy;
  repositories: RepositoriesService;
  artifacts: ArtifactsService;
  labels: LabelsService;
  copies: CopyService;
  /** Additions other domains provide (scan reports, SBOMs): the body and content type, or NOT_FOUND. */
  additions?: Partial<Record<string, (artifact: ArtifactViewRow, query: Record<string, unknown>) => Promise<{ type: string; body: string | Buffer }>>>;
}

/** The project `{project_name}` (by name, as Harbor's repository paths have it), if the caller holds `permission`. */
export async function projectByName(ctx: Context, deps: ArtifactRouteDeps, permission: Permission): Promise<ProjectView> {
  const project = await deps.projects.view((ctx.params as Record<string, string>).project_name ?? '', true);
  await requireProjectPermission(ctx, deps.access, project, permission);
  return project;
}

/** The project and the repository name the path names (the repository need not exist: a copy creates it). */
export async function repositoryTarget(ctx: Context, deps: ArtifactRouteDeps, permission: Permission): Promise<{ project: ProjectView; name: RepositoryName }> {
  const project = await projectByName(ctx, deps, permission);
  return { project, name: repositoryNameParam(ctx, project.name) };
}

/** The existing repository the path names. */
export async function repositoryOf(ctx: Context, deps: ArtifactRouteDeps, permission: Permission): Promise<{ project: ProjectView; repository: RepositoryViewRow }> {
  const { project, name } = await repositoryTarget(ctx, deps, permission);
  return { project, repository: await deps.repositories.get(name.full) };
}

/** The artifact `{reference}` (tag or digest) of the repository the path names. */
export async function artifactOf(ctx: Context, deps: ArtifactRouteDeps, permission: Permission): Promise<{ project: ProjectView; repository: RepositoryViewRow; artifact: ArtifactViewRow }> {
  const { project, repository } = await repositoryOf(ctx, deps, permission);
  const artifact = await deps.artifacts.resolve(repository, (ctx.params as Record<string, string>).reference ?? '');
  return { project, repository, artifact };
}
