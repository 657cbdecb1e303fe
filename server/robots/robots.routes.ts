import type Router from '@koa/router';
import type { Context } from 'koa';
import type { JSONSchemaType } from 'ajv';
import { BerthError } from '../core/errors.ts';
import { idParam, requireUser } from '../api/api-access.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { UserPrincipal } from '../auth/principal.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import type { RobotRow } from './robots.repo.ts';
import type { RobotInput, RobotsService } from './robots.service.ts';
import { actorOf } from '../http/actor.ts';

/** The create body is the service's input, as Harbor's RobotCreate has it. */
type RobotCreate = RobotInput;

const permissionsSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'namespace', 'access'],
    properties: {
      kind: { type: 'string', enum: ['project'] },
      namespace: { type: 'string', minLength: 1, maxLength: 255 },
      access: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['resource', 'action'],
          properties: { resource: { type: 'string' }, action: { type: 'string' }, effect: { type: 'string', nullable: true } },
        },
      },
    },
  },
} as const;

const validateCreate = bodySchema<RobotCreate>({
  type: 'object',
  additionalProperties: false,
  required: ['name', 'level', 'duration', 'permissions'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: { type: 'string', maxLength: 1024, nullable: true },
    level: { type: 'string', enum: ['system', 'project'] },
    duration: { type: 'integer', minimum: -1, maximum: 36500 },
    disable: { type: 'boolean', nullable: true },
    permissions: permissionsSchema,
    secret: { type: 'string', nullable: true },
  },
} as unknown as JSONSchemaType<RobotCreate>);

const validateUpdate = bodySchema<{ description?: string; disable?: boolean; duration?: number }>({
  type: 'object',
  // Harbor clients send the whole Robot back; the fields Berth lets you change are read, the rest must match or be absent.
  additionalProperties: true,
  properties: {
    description: { type: 'string', maxLength: 1024, nullable: true },
    disable: { type: 'boolean', nullable: true },
    duration: { type: 'integer', minimum: -1, maximum: 36500, nullable: true },
  },
} as unknown as JSONSchemaType<{ description?: string; disable?: boolean; duration?: number }>);

/** Harbor's Robot; the secret never appears here (only in RobotCreated and RobotSec). */
function presentRobot(r: RobotRow): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    duration: r.duration,
    editable: true,
    disable: r.disabled,
    expires_at: r.expires_at ? Math.floor(new Date(r.expires_at).getTime() / 1000) : -1,
    permissions: r.permissions,
    creator_type: 'local',
    creator_ref: r.creator_id ?? 0,
    creation_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at).toISOString(),
  };
}

export interface RobotRouteDeps {
  robots: RobotsService;
  projects: ProjectsService;
  access: AccessPolicy;
}

/** Administrators manage every robot; a ProjectAdmin manages the robots of their projects. */
async function authorizeRobot(deps: RobotRouteDeps, user: UserPrincipal, robot: RobotRow, permission: 'robot:list' | 'robot:update' | 'robot:delete'): Promise<void> {
  if (user.sysadmin) return;
  const namespace = robot.level === 'project' ? robot.permissions[0]?.namespace : undefined;
  const project = namespace ? await deps.projects.findByName(namespace) : null;
  if (!project || !(await deps.access.can(user, project, permission))) throw new BerthError('DENIED', 'you may not manage this robot');
}

/** `q=Level=project,ProjectID=<id>`, Harbor's robot list filter. */
function robotFilter(ctx: Context): { level?: string; projectId?: number } {
  const q = ctx.query.q;
  if (q === undefined || q === '') return {};
  if (typeof q !== 'string') throw new BerthError('BAD_REQUEST', 'q must be given once');
  const out: { level?: string; projectId?: number } = {};
  for (const part of q.split(',')) {
    const m = /^(Level|ProjectID)=(.+)$/.exec(part.trim());
    if (!m) throw new BerthError('BAD_REQUEST', 'q supports Level=<system|project> and ProjectID=<id>');
    if (m[1] === 'Level') out.level = m[2];
    else if (/^\d{1,9}$/.test(m[2]!)) out.projectId = Number(m[2]);
    else throw new BerthError('BAD_REQUEST', 'ProjectID must be a number');
  }
  return out;
}

/** /api/v2.0/robots: Harbor's shapes. */
export function mountRobotRoutes(router: Router, deps: RobotRouteDeps): void {
  router.post('/robots', async (ctx) => {
    const user = requireUser(ctx);
    const body = await parseBody(ctx, validateCreate);
    const { robot, secret } = await deps.robots.create(user, { ...body, description: body.description ?? undefined, disable: body.disable ?? undefined }, actorOf(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v2.0/robots/${robot.id}`);
    ctx.body = {
      id: robot.id,
      name: robot.name,
      secret,
      creation_time: new Date(robot.created_at).toISOString(),
      expires_at: robot.expires_at ? Math.floor(new Date(robot.expires_at).getTime() / 1000) : -1,
    };
  });

  router.get('/robots', async (ctx) => {
    const user = requireUser(ctx);
    const filter = robotFilter(ctx);
    if (!user.sysadmin) {
      // Non-administrators list the robots of one project they may manage.
      const project = filter.projectId !== undefined ? await deps.projects.view(String(filter.projectId), false) : undefined;
      if (!project || !(await deps.access.can(user, project, 'robot:list'))) throw new BerthError('DENIED', 'name a project you administer with q=ProjectID=<id>');
    }
    const page = readHarborPage(ctx);
    const result = await deps.robots.page({ ...filter, offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentRobot);
  });

  router.get('/robots/:robot_id', async (ctx) => {
    const robot = await deps.robots.get(idParam(ctx, 'robot_id'));
    await authorizeRobot(deps, requireUser(ctx), robot, 'robot:list');
    ctx.body = presentRobot(robot);
  });

  router.put('/robots/:robot_id', async (ctx) => {
    const robot = await deps.robots.get(idParam(ctx, 'robot_id'));
    const user = requireUser(ctx);
    await authorizeRobot(deps, user, robot, 'robot:update');
    const body = await parseBody(ctx, validateUpdate);
    await deps.robots.update(robot, { description: body.description ?? undefined, disable: body.disable ?? undefined, duration: body.duration ?? undefined }, actorOf(ctx));
    ctx.status = 200;
  });

  router.patch('/robots/:robot_id', async (ctx) => {
    const robot = await deps.robots.get(idParam(ctx, 'robot_id'));
    const user = requireUser(ctx);
    await authorizeRobot(deps, user, robot, 'robot:update');
    ctx.body = { secret: await deps.robots.refreshSecret(robot, actorOf(ctx)) };
  });

  router.delete('/robots/:robot_id', async (ctx) => {
    const robot = await deps.robots.get(idParam(ctx, 'robot_id'));
    const user = requireUser(ctx);
    await authorizeRobot(deps, user, robot, 'robot:delete');
    await deps.robots.delete(robot, actorOf(ctx));
    ctx.status = 200;
  });
}
