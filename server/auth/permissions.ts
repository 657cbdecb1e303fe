/**
 * The one permission table: what each project role may do, and what anyone may do in a public project. Both
 * the registry API (/v2) and the management API (/api/v2.0) ask it; a route names the permission it needs and
 * nothing else decides. Roles and their ids follow Harbor, so Harbor clients that set members keep working.
 */

/** Harbor's project role ids. */
export const roles = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;
export type RoleId = (typeof roles)[keyof typeof roles];
export const roleNames: Record<RoleId, string> = {
  1: 'projectAdmin',
  2: 'developer',
  3: 'guest',
  4: 'maintainer',
  5: 'limitedGuest',
};
export const isRoleId = (value: unknown): value is RoleId => typeof value === 'number' && value in roleNames;

/** `resource:action`, Harbor's permission vocabulary. */
export type Permission =
  | 'project:read'
  | 'project:update'
  | 'project:delete'
  | 'repository:pull'
  | 'repository:push'
  | 'repository:delete'
  | 'repository:list'
  | 'artifact:read'
  | 'artifact:list'
  | 'artifact:create'
  | 'artifact:delete'
  | 'tag:list'
  | 'tag:create'
  | 'tag:delete'
  | 'member:list'
  | 'member:create'
  | 'member:update'
  | 'member:delete'
  | 'log:list'
  | 'robot:list'
  | 'robot:create'
  | 'robot:update'
  | 'robot:delete';

// Read access to images: what LimitedGuest (and anyone, on a public project) may do.
const readImages: Permission[] = ['project:read', 'repository:pull', 'repository:list', 'artifact:read', 'artifact:list', 'tag:list'];
// Guest also sees who the members are and what happened in the project.
const guest: Permission[] = [...readImages, 'member:list', 'log:list'];
// Developer pushes, but removes nothing.
const developer: Permission[] = [...guest, 'repository:push', 'artifact:create', 'tag:create'];
// Maintainer also deletes.
const maintainer: Permission[] = [...developer, 'repository:delete', 'artifact:delete', 'tag:delete'];
// ProjectAdmin also manages the project, its members and its robots.
const projectAdmin: Permission[] = [
  ...maintainer,
  'project:update',
  'project:delete',
  'member:create',
  'member:update',
  'member:delete',
  'robot:list',
  'robot:create',
  'robot:update',
  'robot:delete',
];

export const rolePermissions: Record<RoleId, ReadonlySet<Permission>> = {
  1: new Set(projectAdmin),
  2: new Set(developer),
  3: new Set(guest),
  4: new Set(maintainer),
  5: new Set(readImages),
};

/** What any caller, signed in or anonymous, may do in a public project. */
export const publicPermissions: ReadonlySet<Permission> = new Set(readImages);
