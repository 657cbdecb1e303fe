import type { UserRow } from '../db/types.ts';

/** Harbor's UserResp. The password hash never leaves the service. */
export function presentUser(u: UserRow): Record<string, unknown> {
  return {
    user_id: u.id,
    username: u.username,
    email: u.email ?? '',
    realname: u.realname ?? '',
    comment: u.comment ?? '',
    sysadmin_flag: u.sysadmin,
    admin_role_in_auth: false,
    creation_time: new Date(u.created_at).toISOString(),
    update_time: new Date(u.updated_at).toISOString(),
  };
}
