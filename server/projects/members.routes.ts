import type Router from '@koa/router';
import type { JSONSchemaType } from 'ajv';
import { BerthError } from '../core/errors.ts';
import { idParam } from '../api/api-access.ts';
import { roleNames, type RoleId } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import type { UsersService } from '../users/users.service.ts';
import type { MemberView } from './members.repo.ts';
import { authorizeProject, type ProjectRouteDeps } from './projects.routes.ts';
import { actorOf } from '../http/actor.ts';

interface ProjectMemberReq {
  role_id: number;
  member_user?: { user_id?: number; username?: string };
  member_group?: Record<string, unknown>;
}

const roleId = { type: 'integer', minimum: 1, maximum: 5 } as const;

const validateMemberReq = bodySchema<ProjectMemberReq>({
  type: 'object',
  additionalProperties: false,
  required: ['role_id'],
  properties: {
    role_id: roleId,
    member_user: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: [],
      properties: { user_id: { type: 'integer', minimum: 1, nullable: true }, username: { type: 'string', minLength: 1, nullable: true } },
    },
    member_group: { type: 'object', nullable: true, required: [] },
  },
} as unknown as JSONSchemaType<ProjectMemberReq>);

const validateRoleReq = bodySchema<{ role_id: number }>({
  type: 'object',
  additionalProperties: false,
  required: ['role_id'],
  properties: { role_id: roleId },
} as JSONSchemaType<{ role_id: number }>);

/** Harbor's ProjectMemberEntity. */
const presentMember = (m: MemberView): Record<string, unknown> => ({
  id: m.id,
  project_id: m.project_id,
  entity_name: m.entity_name,
  entity_type: m.entity_type,
  entity_id: m.entity_id,
  role_id: m.role,
  role_name: roleNames[m.role as RoleId],
});

/** Your own membership is not yours to change: an administrator or another ProjectAdmin does that. */
function refuseSelf(principal: Principal, member: MemberView): void {
  if (principal.kind === 'user' && member.entity_type === 'u' && member.entity_id === principal.id) {
    throw new BerthError('FORBIDDEN_ACTION', 'you cannot change or remove your own membership');
  }
}

/** /api/v2.0/projects/{project_name_or_id}/members: Harbor's shapes; members are users (groups come with LDAP/OIDC). */
export function mountMemberRoutes(router: Router, deps: ProjectRouteDeps & { users: UsersService }): void {
  const base = '/projects/:project_name_or_id/members';

  router.get(base, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'member:list');
    const name = typeof ctx.query.entityname === 'string' ? ctx.query.entityname : undefined;
    ctx.body = (await deps.members.list(project.id, name)).map(presentMember);
  });

  router.post(base, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'member:create');
    const body = await parseBody(ctx, validateMemberReq);
    if (body.member_group) throw new BerthError('BAD_REQUEST', 'group members arrive with LDAP/OIDC groups; add users for now');
    const ref = body.member_user;
    if (!ref || (ref.user_id === undefined && !ref.username)) throw new BerthError('BAD_REQUEST', 'member_user needs user_id or username');
    const user = ref.user_id !== undefined && ref.user_id !== null ? await deps.users.get(ref.user_id) : await deps.users.getByName(ref.username!);
    const id = await deps.members.addUser(project.id, user.id, body.role_id as RoleId, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/projects/${project.id}/members/${id}`);
  });

  router.get(`${base}/:mid`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'member:list');
    ctx.body = presentMember(await deps.members.get(project.id, idParam(ctx, 'mid')));
  });

  router.put(`${base}/:mid`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'member:update');
    const member = await deps.members.get(project.id, idParam(ctx, 'mid'));
    refuseSelf(ctx.state.principal as Principal, member);
    const body = await parseBody(ctx, validateRoleReq);
    await deps.members.changeRole(member, body.role_id as RoleId, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete(`${base}/:mid`, async (ctx) => {
    const project = await authorizeProject(ctx, deps, 'member:delete');
    const member = await deps.members.get(project.id, idParam(ctx, 'mid'));
    refuseSelf(ctx.state.principal as Principal, member);
    await deps.members.remove(member, actorOf(ctx));
    ctx.status = 200;
  });
}
