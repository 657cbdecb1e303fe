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

  async remove(db: Queryable, projectId: number, entityType: MemberEntityType, entityId: number): Promise<number> {
    return db('project_members').where({ project_id: projectId, entity_type: entityType, entity_id: entityId }).delete();
  },
};
