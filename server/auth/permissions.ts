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
  | 'robot:delete'
  | 'repository:read'
  | 'repository:update'
  | 'label:list'
  | 'label:read'
  | 'label:create'
  | 'label:update'
  | 'label:delete'
  | 'artifact-label:create'
  | 'artifact-label:delete'
  | 'accessory:list'
  | 'artifact-addition:read'
  | 'quota:read'
  | 'immutable-tag:list'
  | 'immutable-tag:create'
  | 'immutable-tag:update'
  | 'immutable-tag:delete'
  | 'notification-policy:list'
  | 'notification-policy:read'
  | 'notification-policy:create'
  | 'notification-policy:update'
  | 'notification-policy:delete'
  | 'promotion:create'
  | 'approval:create'
  | 'scan:create'
  | 'scan:stop'
  | 'scanner:read'
  | 'scanner:create';

// Read access to images: what LimitedGuest (and anyone, on a public project) may do.
const readImages: Permission[] = [
  'project:read',
  'repository:pull',
  'repository:list',
  'repository:read',
  'artifact:read',
  'artifact:list',
  'tag:list',
  'accessory:list',
  'artifact-addition:read',
];
// Guest also sees who the members are, what happened in the project, its labels, quota and immutability rules.
const guest: Permission[] = [...readImages, 'member:list', 'log:list', 'label:list', 'label:read', 'quota:read', 'immutable-tag:list', 'scanner:read'];
// Developer pushes, but removes nothing; may approve an artifact for a stage (a gate decides whether it counts).
const developer: Permission[] = [...guest, 'repository:push', 'artifact:create', 'tag:create', 'approval:create'];
// Maintainer also deletes, labels, describes repositories and keeps the immutability rules; reads webhooks.
const maintainer: Permission[] = [
  ...developer,
  'repository:delete',
  'repository:update',
  'artifact:delete',
  'tag:delete',
  'label:create',
  'label:update',
  'label:delete',
  'artifact-label:create',
  'artifact-label:delete',
  'immutable-tag:create',
  'immutable-tag:update',
  'immutable-tag:delete',
  'notification-policy:list',
  'notification-policy:read',
  // Promoting out of this project's stage (the target's gates decide whether it may enter).
  'promotion:create',
  // Scanning an artifact on demand, and stopping a scan under way.
  'scan:create',
  'scan:stop',
];
// ProjectAdmin also manages the project, its members, robots and webhooks.
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
  'notification-policy:create',
  'notification-policy:update',
  'notification-policy:delete',
  // Choosing the project's scanner among the registered ones.
  'scanner:create',
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
