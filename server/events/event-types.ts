/**
 * Domain events: dotted, lowercase, past tense. Services emit them after their change is committed; audit,
 * webhooks, replication and scanning subscribe (issue 4 onwards). Each carries who did it (`operator`).
 */
export interface EventMap {
  'user.logged_in': { username: string; address: string; robot: boolean };
  'user.login_failed': { username: string; address: string };
  'user.created': { userId: number; username: string };
  'user.updated': { userId: number; fields: string[] };
  'user.deleted': { userId: number };
  'user.password_changed': { userId: number };
  'user.sysadmin_changed': { userId: number; sysadmin: boolean };
  'project.created': { projectId: number; name: string; public: boolean };
  'project.updated': { projectId: number; name: string; public: boolean };
  'project.deleted': { projectId: number; name: string };
  'member.added': { projectId: number; memberId: number; userId: number; role: number };
  'member.updated': { projectId: number; memberId: number; role: number };
  'member.removed': { projectId: number; memberId: number };
  'robot.created': { robotId: number; name: string; level: string };
  'robot.updated': { robotId: number; name: string; disabled?: boolean };
  'robot.secret_refreshed': { robotId: number; name: string };
  'robot.deleted': { robotId: number; name: string };
}

export type EventName = keyof EventMap;

export interface DomainEvent<N extends EventName = EventName> {
  name: N;
  /** Who caused it: a username, a robot name, or `anonymous`/`system`. */
  operator: string;
  occurredAt: Date;
  data: EventMap[N];
}
