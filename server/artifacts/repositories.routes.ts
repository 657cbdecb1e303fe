import type Router from '@koa/router';
import type { Context } from 'koa';
import type { JSONSchemaType } from 'ajv';
import { BerthError } from '../core/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseHarborQuery, parseHarborSort, type QueryTerm } from '../http/harbor-query.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import { projectByName, repositoryOf, type ArtifactRouteDeps } from './artifact-routes-deps.ts';
import { presentRepository } from './artifacts.presenter.ts';
import { repositoryQueryColumns, repositorySortColumns } from './repository-views.repo.ts';
import { visibleProjectIds } from './visibility.ts';
import { actorOf } from '../http/actor.ts';

/** Harbor's Repository as an update body: only `description` changes; the rest may be sent back as received. */
interface RepositoryReq {
  description?: string;
  id?: number;
  project_id?: number;
  name?: string;
  artifact_count?: number;
  pull_count?: number;
  creation_time?: string;
  update_time?: string;
}

const validateRepositoryReq = bodySchema<RepositoryReq>({
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: 'string', maxLength: 10_000, nullable: true },
    id: { type: 'integer', nullable: true },
    project_id: { type: 'integer', nullable: true },
    name: { type: 'string', maxLength: 300, nullable: true },
    artifact_count: { type: 'integer', nullable: true },
    pull_count: { type: 'integer', nullable: true },
    creation_time: { type: 'string', nullable: true },
    update_time: { type: 'string', nullable: true },
  },
} as unknown as JSONSchemaType<RepositoryReq>);

/** A time as Harbor's q takes it (`2024-01-31 12:00:00`, ISO 8601 too) that PostgreSQL also reads the same way. */
function isQueryTime(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(v);
  if (!m) return false;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0') as string[];
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  return Number(y) >= 1 && date.getUTCMonth() === Number(mo) - 1 && date.getUTCDate() === Number(d) && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60;
}

/** `q` of repository lists: name (exact, ~fuzzy, {any}), project_id (ids), creation_time and update_time (ranges). */
function readRepositoryQuery(ctx: Context): QueryTerm[] {
  const terms = parseHarborQuery(ctx.query.q, Object.keys(repositoryQueryColumns));
  for (const t of terms) {
    const values = t.op === 'exact' || t.op === 'fuzzy' ? [t.value] : t.op === 'range' ? [t.min, t.max].filter((v): v is string => v !== undefined) : t.values;
    if (t.key === 'project_id' && (t.op === 'fuzzy' || t.op === 'range' || !values.every((v) => /^\d{1,9}$/.test(v)))) throw new BerthError('BAD_REQUEST', 'project_id takes project ids');
    if ((t.key === 'creation_time' || t.key === 'update_time') && (t.op === 'fuzzy' || !values.every(isQueryTime))) {
      throw new BerthError('BAD_REQUEST', `${t.key} takes times such as [2024-01-01 00:00:00~2024-12-31 23:59:59]`);
    }
  }
  return terms;
}

/** /api/v2.0/repositories and /api/v2.0/projects/{project_name}/repositories[/{repository_name}]: Harbor's shapes. */
export function mountRepositoryRoutes(router: Router, deps: ArtifactRouteDeps): void {
  const list = async (ctx: Context, scope: { projectId?: number; projectIds?: number[] }) => {
    const page = readHarborPage(ctx);
    const result = await deps.repositories.page({
      ...scope,
      terms: readRepositoryQuery(ctx),
      sort: parseHarborSort(ctx.query.sort, repositorySortColumns),
      offset: (page.page - 1) * page.pageSize,
      limit: page.pageSize,
    });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentRepository);
  };

  router.get('/repositories', async (ctx) => {
    await list(ctx, { projectIds: await visibleProjectIds(ctx.state.principal as Principal, deps.access, deps.projects) });
  });

  router.get('/projects/:project_name/repositories', async (ctx) => {
    const project = await projectByName(ctx, deps, 'repository:list');
    await list(ctx, { projectId: project.id });
  });

  router.get('/projects/:project_name/repositories/:repository_name', async (ctx) => {
    const { repository } = await repositoryOf(ctx, deps, 'repository:read');
    ctx.body = presentRepository(repository);
  });

  router.put('/projects/:project_name/repositories/:repository_name', async (ctx) => {
    const { project, repository } = await repositoryOf(ctx, deps, 'repository:update');
    const body = await parseBody(ctx, validateRepositoryReq);
    if (body.name && body.name !== repository.name) throw new BerthError('BAD_REQUEST', 'a repository cannot be renamed');
    await deps.repositories.update(project, repository, body.description ?? '', actorOf(ctx));
    ctx.status = 200;
  });

  router.delete('/projects/:project_name/repositories/:repository_name', async (ctx) => {
    const { project, repository } = await repositoryOf(ctx, deps, 'repository:delete');
    await deps.repositories.delete(project, repository, actorOf(ctx));
    ctx.status = 200;
  });
}
