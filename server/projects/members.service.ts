import type { Knex } from 'knex';
import { Lru } from '../core/lru.ts';
import type { RoleId } from '../auth/permissions.ts';
import { BerthError } from '../core/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import { memberViewsRepo, membersRepo, type MemberView } from './members.repo.ts';
import type { Operator } from '../core/actor.ts';

/**
 * Project memberships, with the role lookups cached: every authenticated /v2 request asks for one. Changes go
 * through this service, which drops the cached entries they affect.
 */
export class MembersService {
  private readonly roles = new Lru<string, RoleId | 0>(100_000);

  constructor(
    private readonly db: Knex,
    private readonly events: EventBus,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    cluster.register('members', (key) => (key === '*' ? this.roles.clear() : this.roles.delete(key)));
  }

  async roleOf(projectId: number, userId: number): Promise<RoleId | null> {
    const key = `${projectId}:${userId}`;
    const cached = this.roles.get(key);
    if (cached !== undefined) return cached === 0 ? null : cached;
    const role = await membersRepo.roleOf(this.db, projectId, userId);
    this.roles.set(key, role ?? 0);
    return role;
  }

  projectIdsOf(userId: number): Promise<number[]> {
    return membersRepo.projectIdsOf(this.db, userId);
  }

  /** Sets a user's role whether or not they are a member yet (operators' scripts and tests; the API adds and changes separately). */
  async setUserRole(projectId: number, userId: number, role: RoleId, operator: Operator = 'system'): Promise<void> {
    await membersRepo.upsert(this.db, { projectId, entityType: 'u', entityId: userId, role });
    this.cluster.invalidate('members', `${projectId}:${userId}`);
    const member = (await this.list(projectId)).find((m) => m.entity_type === 'u' && m.entity_id === userId);
    if (member) this.events.emit('member.updated', operator, { projectId, memberId: member.id, role });
  }

  async removeUser(projectId: number, userId: number, operator: Operator = 'system'): Promise<boolean> {
    const member = (await this.list(projectId)).find((m) => m.entity_type === 'u' && m.entity_id === userId);
    if (!member) return false;
    await this.remove(member, operator);
    return true;
  }

  list(projectId: number, nameLike?: string): Promise<MemberView[]> {
    return memberViewsRepo.list(this.db, projectId, nameLike);
  }

  async get(projectId: number, memberId: number): Promise<MemberView> {
    const member = await memberViewsRepo.get(this.db, projectId, memberId);
    if (!member) throw new BerthError('NOT_FOUND', `member ${memberId} not found in this project`);
    return member;
  }

  async addUser(projectId: number, userId: number, role: RoleId, operator: Operator): Promise<number> {
    const id = await memberViewsRepo.insertUser(this.db, projectId, userId, role);
    if (id === null) throw new BerthError('CONFLICT', 'the user is a member of the project already');
    this.cluster.invalidate('members', `${projectId}:${userId}`);
    this.events.emit('member.added', operator, { projectId, memberId: id, userId, role });
    return id;
  }

  async changeRole(member: MemberView, role: RoleId, operator: Operator): Promise<void> {
    await memberViewsRepo.setRole(this.db, member.id, role);
    this.cluster.invalidate('members', `${member.project_id}:${member.entity_id}`);
    this.events.emit('member.updated', operator, { projectId: member.project_id, memberId: member.id, role });
  }

  async remove(member: MemberView, operator: Operator): Promise<void> {
    await memberViewsRepo.delete(this.db, member.id);
    this.cluster.invalidate('members', `${member.project_id}:${member.entity_id}`);
    this.events.emit('member.removed', operator, { projectId: member.project_id, memberId: member.id });
  }
}
