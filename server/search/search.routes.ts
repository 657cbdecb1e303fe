import type Router from '@koa/router';
import { BerthError } from '../core/errors.ts';
import type { Principal } from '../auth/principal.ts';
import { requireAuthenticated } from '../artifacts/route-access.ts';
import type { MembersService } from '../projects/members.service.ts';
import { presentProject } from '../projects/projects.presenter.ts';
import type { SearchService } from './search.service.ts';

/** /api/v2.0/search and /api/v2.0/statistics: Harbor's Search and Statistic. */
export function mountSearchRoutes(router: Router, deps: { search: SearchService; members: MembersService }): void {
  router.get('/search', async (ctx) => {
    const q = ctx.query.q;
    if (typeof q !== 'string') throw new BerthError('BAD_REQUEST', 'q is required (once): the text to look for in project and repository names');
    if (q.length > 255 || q.includes('\u0000')) throw new BerthError('BAD_REQUEST', 'q is at most 255 characters, without NUL characters');
    const principal = ctx.state.principal as Principal;
    const result = await deps.search.search(principal, q);
    const roleOf = async (projectId: number) => (principal.kind === 'user' ? deps.members.roleOf(projectId, principal.id) : null);
    ctx.body = {
      project: await Promise.all(result.projects.map(async (p) => presentProject(p, await roleOf(p.id)))),
      repository: result.repositories.map((r) => ({
        project_id: r.project_id,
        project_name: r.projectName,
        project_public: r.projectPublic,
        repository_name: r.name,
        pull_count: r.pull_count,
        artifact_count: r.artifact_count,
      })),
    };
  });

  router.get('/statistics', async (ctx) => {
    ctx.body = await deps.search.statistics(requireAuthenticated(ctx));
  });
}
