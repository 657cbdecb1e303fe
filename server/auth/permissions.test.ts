import { describe, expect, it } from 'vitest';
import { publicPermissions, rolePermissions, roles, type Permission } from './permissions.ts';

/** Harbor's role semantics (../shared/HARBOR.md), checked against the table. */
describe('permission table', () => {
  const has = (role: keyof typeof roles, p: Permission): boolean => rolePermissions[roles[role]].has(p);

  it('keeps Harbor role ids', () => {
    expect(roles).toEqual({ projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 });
  });

  it('lets Guest and LimitedGuest pull and read, but only Guest see members and logs', () => {
    for (const role of ['guest', 'limitedGuest'] as const) {
      expect(has(role, 'repository:pull')).toBe(true);
      expect(has(role, 'artifact:read')).toBe(true);
      expect(has(role, 'repository:push')).toBe(false);
    }
    expect(has('guest', 'member:list')).toBe(true);
    expect(has('guest', 'log:list')).toBe(true);
    expect(has('limitedGuest', 'member:list')).toBe(false);
    expect(has('limitedGuest', 'log:list')).toBe(false);
  });

  it('lets Developer push but not delete, Maintainer delete but not manage members', () => {
    expect(has('developer', 'repository:push')).toBe(true);
    expect(has('developer', 'tag:create')).toBe(true);
    expect(has('developer', 'repository:delete')).toBe(false);
    expect(has('developer', 'tag:delete')).toBe(false);
    expect(has('maintainer', 'repository:delete')).toBe(true);
    expect(has('maintainer', 'artifact:delete')).toBe(true);
    expect(has('maintainer', 'member:create')).toBe(false);
    expect(has('maintainer', 'robot:create')).toBe(false);
  });

  it('lets Maintainer label and keep immutability rules, and only ProjectAdmin change webhooks', () => {
    expect(has('developer', 'artifact-label:create')).toBe(false);
    expect(has('maintainer', 'artifact-label:create')).toBe(true);
    expect(has('developer', 'immutable-tag:create')).toBe(false);
    expect(has('maintainer', 'immutable-tag:create')).toBe(true);
    expect(has('guest', 'immutable-tag:list')).toBe(true);
    expect(has('maintainer', 'notification-policy:read')).toBe(true);
    expect(has('maintainer', 'notification-policy:create')).toBe(false);
    expect(has('projectAdmin', 'notification-policy:create')).toBe(true);
    expect(has('limitedGuest', 'quota:read')).toBe(false);
    expect(has('guest', 'quota:read')).toBe(true);
  });

  it('gives ProjectAdmin every project permission', () => {
    for (const set of Object.values(rolePermissions)) {
      for (const p of set) expect(has('projectAdmin', p)).toBe(true);
    }
    expect(has('projectAdmin', 'member:create')).toBe(true);
    expect(has('projectAdmin', 'project:delete')).toBe(true);
  });

  it('grants each role everything the role below it has', () => {
    const ladder = ['limitedGuest', 'guest', 'developer', 'maintainer', 'projectAdmin'] as const;
    for (let i = 1; i < ladder.length; i++) {
      for (const p of rolePermissions[roles[ladder[i - 1]!]]) expect(has(ladder[i]!, p), `${ladder[i]} lacks ${p}`).toBe(true);
    }
  });

  it('opens public projects for reading only', () => {
    expect([...publicPermissions].sort()).toEqual([
      'accessory:list',
      'artifact-addition:read',
      'artifact:list',
      'artifact:read',
      'project:read',
      'repository:list',
      'repository:pull',
      'repository:read',
      'tag:list',
    ]);
  });
});
