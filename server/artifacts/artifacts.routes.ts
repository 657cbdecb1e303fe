import type Router from '@koa/router';
import type { Context } from 'koa';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { requireAuthenticated, requireProjectPermission } from './route-access.ts';
import { readArtifactOptions, readArtifactQuery } from './artifact-query.ts';
import { artifactOf, repositoryOf, repositoryTarget, type ArtifactRouteDeps } from './artifact-routes-deps.ts';
import type { ArtifactFilter } from './artifact-views.repo.ts';
import { presentArtifact, repositoryPath } from './artifacts.presenter.ts';
import { copySourceParam } from './path-params.ts';
import { actorOf } from '../http/actor.ts';

const base = '/projects/:project_name/repositories/:repository_name/artifacts';

/** Artifacts of a repository or a project: Harbor's list, with `q`, `sort`, paging and the `with_*` options. */
export function mountArtifactRoutes(router: Router, deps: ArtifactRouteDeps): void {
  const list = async (ctx: Context, scope: ArtifactFilter['scope'], allowLatest: boolean) => {
    const options = readArtifactOptions(ctx);
    const { filter, sort } = readArtifactQuery(ctx, scope, allowLatest);
    const page = readHarborPage(ctx);
    const result = await deps.artifacts.page(filter, { sort, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = (await deps.artifacts.details(result.rows, options)).map(presentArtifact);
  };

  router.get(base, async (ctx) => {
    const { repository } = await repositoryOf(ctx, deps, 'artifact:list');
    await list(ctx, { repositoryId: repository.id }, false);
  });

  // Harbor asks for a signed-in caller here even on public projects.
  router.get('/projects/:project_name_or_id/artifacts', async (ctx) => {
    requireAuthenticated(ctx);
    const param = (ctx.params as Record<string, string>).project_name_or_id ?? '';
    const project = await deps.projects.view(param, ctx.get('x-is-resource-name') === 'true');
    await requireProjectPermission(ctx, deps.access, project, 'artifact:list');
    await list(ctx, { projectId: project.id }, true);
  });

  router.get(`${base}/:reference`, async (ctx) => {
    const options = readArtifactOptions(ctx);
    const { artifact } = await artifactOf(ctx, deps, 'artifact:read');
    ctx.body = presentArtifact((await deps.artifacts.details([artifact], options))[0]!);
  });

  router.delete(`${base}/:reference`, async (ctx) => {
    const { project, artifact } = await artifactOf(ctx, deps, 'artifact:delete');
    await deps.artifacts.delete(project, artifact, actorOf(ctx));
    ctx.status = 200;
  });

  // Server-side copy: pull on the source, artifact:create on the target; no blob bytes move.
  router.post(base, async (ctx) => {
    const target = await repositoryTarget(ctx, deps, 'artifact:create');
    const from = copySourceParam(ctx);
    const source = await deps.projects.view(from.repository.project, true);
    await requireProjectPermission(ctx, deps.access, source, 'repository:pull');
    await deps.copies.copy({ project: target.project, repository: target.name.full }, { repository: from.repository.full, reference: from.reference }, actorOf(ctx));
    const reference = from.reference.kind === 'tag' ? from.reference.tag : from.reference.digest;
    ctx.status = 201;
    ctx.set('Location', `${repositoryPath(target.name.full)}/artifacts/${reference}`);
  });
}
