import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { BerthError } from '../core/errors.ts';
import { rolePermissions, roles, type Permission } from '../auth/permissions.ts';
import type { RobotPrincipal, UserPrincipal } from '../auth/principal.ts';
import type { AccessPolicy } from '../auth/access.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import { hashPassword, unknownAccountHash, verifyPassword } from '../users/passwords.ts';
import { robotsRepo, type RobotPermissionDoc, type RobotRow } from './robots.repo.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Operator } from '../core/actor.ts';

export interface RobotInput {
  name: string;
  description?: string;
  level: 'system' | 'project';
  duration: number;
  disable?: boolean;
  permissions: RobotPermissionDoc[];
}

// Everything a project role can do is something a robot may be given.
const grantable = new Set<string>(rolePermissions[roles.projectAdmin]);
const namePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** A random secret: 32 characters, always with upper case, lower case and digits. */
function newSecret(): string {
  return `Rb7${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`.slice(0, 32);
}

/**
 * Robot accounts: named `<prefix><project>+<name>` (project) or `<prefix><name>` (system), with a permission
 * list, an expiry and a secret shown once and stored as a scrypt hash. The default prefix has no `$`, which
 * breaks shells, Groovy strings and CI variables; Harbor's `robot$` can be configured.
 */
export class RobotsService {
  constructor(
    private readonly db: Knex,
    private readonly prefix: string,
    private readonly projects: ProjectsService,
    private readonly access: AccessPolicy,
    private readonly events: EventBus,
    private readonly onCredentialsChanged: () => void,
  ) {}

  isRobotName(name: string): boolean {
    return name.startsWith(this.prefix);
  }

  async create(creator: UserPrincipal, input: RobotInput, operator: Operator = creator.username): Promise<{ robot: RobotRow; secret: string }> {
    if (!namePattern.test(input.name)) throw new BerthError('BAD_REQUEST', 'the robot name must be lower-case letters and digits, separated by ".", "_" or "-"');
    if (input.duration !== -1 && input.duration < 1) throw new BerthError('BAD_REQUEST', 'duration is a number of days, or -1 for never');
    const projectId = await this.checkPermissions(creator, input.level, input.permissions);
    const fullName = input.level === 'project' ? `${this.prefix}${input.permissions[0]!.namespace}+${input.name}` : `${this.prefix}${input.name}`;
    const secret = newSecret();
    const id = await robotsRepo.insert(this.db, {
      name: fullName,
      description: input.description ?? '',
      level: input.level,
      project_id: projectId,
      secret_hash: await hashPassword(secret),
      disabled: input.disable ?? false,
      duration: input.duration,
      expires_at: input.duration === -1 ? null : new Date(Date.now() + input.duration * 86_400_000),
      permissions: input.permissions,
      creator_id: creator.id,
    });
    if (id === null) throw new BerthError('CONFLICT', `a robot named ${fullName} already exists`);
    this.events.emit('robot.created', operator, { robotId: id, name: fullName, level: input.level });
    return { robot: (await robotsRepo.findById(this.db, id))!, secret };
  }

  /**
   * A robot gets no more than its creator may do: system robots only from administrators; project robots from
   * someone who may create robots in that one project and holds every permission handed out.
   */
  private async checkPermissions(creator: UserPrincipal, level: 'system' | 'project', permissions: RobotPermissionDoc[]): Promise<number | null> {
    if (!permissions.length) throw new BerthError('BAD_REQUEST', 'a robot needs at least one permission');
    for (const p of permissions) {
      for (const a of p.access) {
        if (!grantable.has(`${a.resource}:${a.action}`)) throw new BerthError('BAD_REQUEST', `unknown permission ${a.resource}:${a.action}`);
        if (a.effect && a.effect !== 'allow') throw new BerthError('BAD_REQUEST', 'only "allow" permissions are supported');
      }
    }
    if (level === 'system') {
      if (!creator.sysadmin) throw new BerthError('DENIED', 'only system administrators may create system robots');
      for (const p of permissions) if (p.namespace !== '*' && !(await this.projects.findByName(p.namespace))) throw new BerthError('NOT_FOUND', `project ${p.namespace} not found`);
      return null;
    }
    if (permissions.length !== 1 || permissions[0]!.namespace === '*') throw new BerthError('BAD_REQUEST', 'a project robot has exactly one permission entry, for its project');
    const project = await this.projects.findByName(permissions[0]!.namespace);
    if (!project) throw new BerthError('NOT_FOUND', `project ${permissions[0]!.namespace} not found`);
    if (!(await this.access.can(creator, project, 'robot:create'))) throw new BerthError('DENIED', `you may not create robots in project ${project.name}`);
    for (const a of permissions[0]!.access) {
      if (!(await this.access.can(creator, project, `${a.resource}:${a.action}` as Permission))) {
        throw new BerthError('DENIED', `you cannot give a robot ${a.resource}:${a.action}, which you do not have`);
      }
    }
    return project.id;
  }

  async get(id: number): Promise<RobotRow> {
    const robot = await robotsRepo.findById(this.db, id);
    if (!robot) throw new BerthError('NOT_FOUND', `robot ${id} not found`);
    return robot;
  }

  page(opts: { projectId?: number; level?: string; offset: number; limit: number }) {
    return robotsRepo.page(this.db, opts);
  }

  async update(robot: RobotRow, changes: { description?: string; disable?: boolean; duration?: number }, operator: Operator): Promise<void> {
    if (changes.duration !== undefined && changes.duration !== -1 && changes.duration < 1) throw new BerthError('BAD_REQUEST', 'duration is a number of days, or -1 for never');
    await robotsRepo.update(this.db, robot.id, {
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.disable !== undefined ? { disabled: changes.disable } : {}),
      ...(changes.duration !== undefined
        ? { duration: changes.duration, expires_at: changes.duration === -1 ? null : new Date(new Date(robot.created_at).getTime() + changes.duration * 86_400_000) }
        : {}),
    });
    this.onCredentialsChanged();
    this.events.emit('robot.updated', operator, { robotId: robot.id, name: robot.name, disabled: changes.disable });
  }

  async refreshSecret(robot: RobotRow, operator: Operator): Promise<string> {
    const secret = newSecret();
    await robotsRepo.update(this.db, robot.id, { secret_hash: await hashPassword(secret) });
    this.onCredentialsChanged();
    this.events.emit('robot.secret_refreshed', operator, { robotId: robot.id, name: robot.name });
    return secret;
  }

  async delete(robot: RobotRow, operator: Operator): Promise<void> {
    await robotsRepo.delete(this.db, robot.id);
    this.onCredentialsChanged();
    this.events.emit('robot.deleted', operator, { robotId: robot.id, name: robot.name });
  }

  /** The robot behind Basic credentials; null when the name, secret, state or expiry do not let it in. */
  async authenticate(name: string, secret: string): Promise<{ principal: RobotPrincipal; expiresAt: number | null } | null> {
    const robot = await robotsRepo.findByName(this.db, name);
    const ok = await verifyPassword(secret, robot?.secret_hash ?? unknownAccountHash);
    if (!robot || !ok || robot.disabled) return null;
    const expiresAt = robot.expires_at ? new Date(robot.expires_at).getTime() : null;
    if (expiresAt !== null && expiresAt <= Date.now()) return null;
    return {
      principal: {
        kind: 'robot',
        id: robot.id,
        name: robot.name,
        permissions: robot.permissions.map((p) => ({ namespace: p.namespace, actions: new Set(p.access.map((a) => `${a.resource}:${a.action}`)) })),
      },
      expiresAt,
    };
  }
}
