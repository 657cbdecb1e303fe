import type Router from '@koa/router';
import type { Context } from 'koa';
import { BerthError } from '../core/errors.ts';
import { idParam, requireSysadmin, requireUser } from '../api/api-access.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseBody } from '../http/validate.ts';
import type { Principal } from '../auth/principal.ts';
import type { UsersService } from './users.service.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { presentUser } from './users.presenter.ts';
import { validatePasswordReq, validateSysadminFlag, validateUserCreation, validateUserProfile } from './users.schema.ts';
import { actorOf } from '../http/actor.ts';

/** The signed-in user when it is `id` or an administrator; 403 otherwise. */
function requireSelfOrSysadmin(ctx: Context, id: number) {
  const user = requireUser(ctx);
  if (!user.sysadmin && user.id !== id) throw new BerthError('DENIED', 'you may only see and change your own account');
  return user;
}

/** `q=username=~text` (Harbor's fuzzy match), the one filter the user list takes. */
function usernameFilter(ctx: Context): string | undefined {
  const q = ctx.query.q;
  if (q === undefined) return undefined;
  const m = typeof q === 'string' ? /^username=~?(.{1,255})$/.exec(q) : null;
  if (!m) throw new BerthError('BAD_REQUEST', 'q supports username=~<text> only');
  return m[1];
}

/** /api/v2.0/users: Harbor's shapes. */
export function mountUserRoutes(
  router: Router,
  deps: { users: UsersService; selfRegistration: boolean; projects: ProjectsService; access: AccessPolicy },
): void {
  const { users } = deps;

  router.get('/users', async (ctx) => {
    requireSysadmin(ctx);
    const page = readHarborPage(ctx);
    const result = await users.page({ offset: (page.page - 1) * page.pageSize, limit: page.pageSize, nameLike: usernameFilter(ctx) });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentUser);
  });

  router.post('/users', async (ctx) => {
    const caller = ctx.state.principal as Principal;
    const selfSignUp = caller.kind === 'anonymous' && deps.selfRegistration;
    if (!selfSignUp) requireSysadmin(ctx);
    const body = await parseBody(ctx, validateUserCreation);
    const user = await users.create({ ...body, email: body.email ?? undefined, realname: body.realname ?? undefined, comment: body.comment ?? undefined }, selfSignUp ? { ...actorOf(ctx), name: body.username } : actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/users/${user.id}`);
  });

  router.get('/users/current', async (ctx) => {
    ctx.body = presentUser(await users.get(requireUser(ctx).id));
  });

  // Harbor's `scope=/project/<id>` (with `relative=true`, resources are named without the scope) or `/system`.
  router.get('/users/current/permissions', async (ctx) => {
    const user = requireUser(ctx);
    const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope : '/system';
    const relative = ctx.query.relative === 'true';
    const m = /^\/project\/(\d{1,9})$/.exec(scope);
    if (m) {
      const project = await deps.projects.view(m[1]!, false);
      const held = await deps.access.permissionsIn(user, project);
      ctx.body = held.map((p) => {
        const [resource, action] = p.split(':') as [string, string];
        return { resource: relative ? resource : `${scope}/${resource}`, action };
      });
      return;
    }
    if (scope !== '/system') throw new BerthError('BAD_REQUEST', 'scope is /system or /project/<id>');
    // System-wide, an administrator may do everything; others hold nothing outside projects.
    ctx.body = user.sysadmin ? [{ resource: relative ? '*' : '/system/*', action: '*' }] : [];
  });

  router.get('/users/:user_id', async (ctx) => {
    const id = idParam(ctx, 'user_id');
    requireSelfOrSysadmin(ctx, id);
    ctx.body = presentUser(await users.get(id));
  });

  router.put('/users/:user_id', async (ctx) => {
    const id = idParam(ctx, 'user_id');
    requireSelfOrSysadmin(ctx, id);
    const body = await parseBody(ctx, validateUserProfile);
    await users.updateProfile(id, { email: body.email ?? undefined, realname: body.realname ?? undefined, comment: body.comment ?? undefined }, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete('/users/:user_id', async (ctx) => {
    const id = idParam(ctx, 'user_id');
    const admin = requireSysadmin(ctx);
    if (admin.id === id) throw new BerthError('FORBIDDEN_ACTION', 'you cannot delete your own account');
    await users.delete(id, actorOf(ctx));
    ctx.status = 200;
  });

  router.put('/users/:user_id/password', async (ctx) => {
    const id = idParam(ctx, 'user_id');
    const caller = requireSelfOrSysadmin(ctx, id);
    const body = await parseBody(ctx, validatePasswordReq);
    // Your own password needs the old one, even for an administrator: a stolen session must not lock you out.
    await users.changePassword(id, body.new_password, body.old_password ?? undefined, caller.id === id, actorOf(ctx));
    ctx.status = 200;
  });

  router.put('/users/:user_id/sysadmin', async (ctx) => {
    const id = idParam(ctx, 'user_id');
    const admin = requireSysadmin(ctx);
    if (admin.id === id) throw new BerthError('FORBIDDEN_ACTION', 'you cannot change your own administrator flag');
    const body = await parseBody(ctx, validateSysadminFlag);
    await users.setSysadmin(id, body.sysadmin_flag, actorOf(ctx));
    ctx.status = 200;
  });
}
