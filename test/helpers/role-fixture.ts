import { expect } from 'vitest';
import { roles, type RoleId } from '../../server/auth/permissions.ts';
import { usersRepo } from '../../server/users/users.repo.ts';
import type { TestServer } from './test-server.ts';

/**
 * Every kind of caller the role matrices walk, set up on a public project `pub` and a private one `priv`: users
 * holding each Harbor role in both, a signed-in non-member, anonymous, the administrator, a project robot
 * (pull and push on `priv`) and a system robot (pull, push and delete everywhere).
 */
export type Caller =
  | 'anonymous'
  | 'nonMember'
  | 'limitedGuest'
  | 'guest'
  | 'developer'
  | 'maintainer'
  | 'projectAdmin'
  | 'projectRobot'
  | 'systemRobot'
  | 'admin';

export const callers: Caller[] = ['anonymous', 'nonMember', 'limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin', 'projectRobot', 'systemRobot', 'admin'];

const callerRoles: Partial<Record<Caller, RoleId>> = {
  limitedGuest: roles.limitedGuest,
  guest: roles.guest,
  developer: roles.developer,
  maintainer: roles.maintainer,
  projectAdmin: roles.projectAdmin,
};

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Creates the projects, users, memberships and robots; returns each caller's Authorization header (null: none). */
export async function setUpCallers(server: TestServer): Promise<Map<Caller, string | null>> {
  const password = 'Matrix-Passw0rd';
  const pub = await server.services.projects.ensure('pub', true, null);
  const priv = await server.services.projects.ensure('priv', false, null);
  const auth = new Map<Caller, string | null>([['anonymous', null], ['admin', server.adminAuth]]);
  for (const caller of ['nonMember', 'limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'] as const) {
    await server.services.users.createIfMissing(caller, password, false);
    const user = (await usersRepo.findByName(server.services.db.knex, caller))!;
    const role = callerRoles[caller];
    if (role) for (const p of [pub, priv]) await server.services.members.setUserRole(p.id, user.id, role);
    auth.set(caller, basic(caller, password));
  }
  const admin = { kind: 'user' as const, id: 1, username: 'admin', sysadmin: true };
  const access = (...actions: string[]) => actions.map((action) => ({ resource: 'repository', action }));
  const projectRobot = await server.services.robots.create(admin, {
    name: 'matrix',
    level: 'project',
    duration: -1,
    permissions: [{ kind: 'project', namespace: 'priv', access: access('pull', 'push') }],
  });
  auth.set('projectRobot', basic(projectRobot.robot.name, projectRobot.secret));
  const systemRobot = await server.services.robots.create(admin, {
    name: 'matrix-all',
    level: 'system',
    duration: -1,
    permissions: [{ kind: 'project', namespace: '*', access: access('pull', 'push', 'delete') }],
  });
  auth.set('systemRobot', basic(systemRobot.robot.name, systemRobot.secret));
  return auth;
}

/** A management API call as one caller: JSON bodies, project names as resource names. */
export type MatrixApi = (method: string, path: string, body?: unknown) => Promise<Response>;

/** Calls `/api/v2.0` on the server with the given Authorization (none for null or undefined). */
export function matrixApi(server: TestServer, auth: string | null | undefined): MatrixApi {
  return (method, path, body) =>
    fetch(`${server.url}/api/v2.0${path}`, {
      method,
      headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json', 'X-Is-Resource-Name': 'true' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

/**
 * One cell of a role matrix: an allowed caller gets the route's success status; a denied one 401 UNAUTHORIZED when
 * anonymous, 403 FORBIDDEN otherwise, in Harbor's envelope.
 */
export async function expectCell(res: Response, cell: { caller: Caller; allowed: boolean; ok: number }): Promise<void> {
  if (cell.allowed) {
    expect(res.status, await res.text()).toBe(cell.ok);
    return;
  }
  expect(res.status, await res.clone().text()).toBe(cell.caller === 'anonymous' ? 401 : 403);
  expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe(cell.caller === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN');
}
