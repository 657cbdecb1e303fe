import type { Queryable } from '../db/types.ts';
import type { RoleId } from '../auth/permissions.ts';

/** Members are users now and groups later (LDAP/OIDC); `entity_type` tells which, as in Harbor. */
export type MemberEntityType = 'u' | 'g';

export const membersRepo = {
  async roleOf(db: Queryable, projectId: number, userId: number): Promise<RoleId | null> {
    const row = await db('project_members')
      .where({ project_id: projectId, entity_type: 'u', entity_id: userId })
      .first<{ role: RoleId } | undefined>('role');
    return row ? row.role : null;
  },

  async projectIdsOf(db: Queryable, userId: number): Promise<number[]> {
    return db('project_members').where({ entity_type: 'u', entity_id: userId }).pluck<number[]>('project_id');
  },

  /** Adds a member or changes the member's role. */
  async upsert(db: Queryable, m: { projectId: number; entityType: MemberEntityType; entityId: number; role: RoleId }): Promise<void> {
    await db('project_members')
      .insert({ project_id: m.projectId, entity_type: m.entityType, entity_id: m.entityId, role: m.role })
      .onConflict(['project_id', 'entity_type', 'entity_id'])
      .merge({ role: m.role, updated_at: db.fn.now() });
  },

  /** Removes a user from every project (when the user is deleted; memberships have no foreign key to users). */
  async removeUserEverywhere(db: Queryable, userId: number): Promise<void> {
    await db('project_members').where({ entity_type: 'u', entity_id: userId }).delete();
  },

  async remove(db: Queryable, projectId: number, entityType: MemberEntityType, entityId: number): Promise<number> {
    return db('project_members').where({ project_id: projectId, entity_type: entityType, entity_id: entityId }).delete();
  },
};

export interface MemberView {
  id: number;
  project_id: number;
  entity_type: MemberEntityType;
  entity_id: number;
  entity_name: string;
  role: number;
}

export const memberViewsRepo = {
  /** Members of a project with their names, optionally those whose name contains `nameLike`. */
  async list(db: Queryable, projectId: number, nameLike?: string, memberId?: number): Promise<MemberView[]> {
    const q = db('project_members as m')
      .join('users as u', function () {
        this.on('u.id', '=', 'm.entity_id').andOnVal('m.entity_type', '=', 'u');
      })
      .where('m.project_id', projectId)
      .orderBy('m.id')
      .select<MemberView[]>('m.id', 'm.project_id', 'm.entity_type', 'm.entity_id', 'u.username as entity_name', 'm.role');
    if (nameLike) q.whereILike('u.username', `%${nameLike.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
    if (memberId !== undefined) q.where('m.id', memberId);
    return q;
  },

  async get(db: Queryable, projectId: number, memberId: number): Promise<MemberView | undefined> {
    return (await this.list(db, projectId, undefined, memberId))[0];
  },

  /** Adds a user; null when the user is a member already. */
  async insertUser(db: Queryable, projectId: number, userId: number, role: number): Promise<number | null> {
    const rows = await db('project_members')
      .insert({ project_id: projectId, entity_type: 'u', entity_id: userId, role })
      .onConflict(['project_id', 'entity_type', 'entity_id'])
      .ignore()
      .returning<Array<{ id: number }>>('id');
    return rows[0]?.id ?? null;
  },

  async setRole(db: Queryable, memberId: number, role: number): Promise<void> {
    await db('project_members').where({ id: memberId }).update({ role, updated_at: db.fn.now() });
  },

  async delete(db: Queryable, memberId: number): Promise<void> {
    await db('project_members').where({ id: memberId }).delete();
  },
};
