import type { DomainEvent, EventMap, EventName } from '../events/event-types.ts';

/** One audit log entry, before it is stored. */
export interface AuditEntry {
  opTime: Date;
  operator: string;
  address: string | null;
  requestId: string | null;
  resourceType: string;
  resource: string;
  operation: string;
  success: boolean;
  projectId: number | null;
  description: string;
  detail: Record<string, unknown> | null;
  /** How many operations the entry stands for (pulls are aggregated). */
  count: number;
}

/** What an event says for the audit log; the recorder adds who, when and from where. */
export type AuditFacts = Pick<AuditEntry, 'resourceType' | 'resource' | 'operation' | 'projectId' | 'description'> &
  Partial<Pick<AuditEntry, 'success' | 'detail'>>;

type Describe<N extends EventName> = (data: EventMap[N]) => AuditFacts;

const artifactResource = (d: { repository: string; digest: string; tags: string[] }): string =>
  d.tags.length ? `${d.repository}:${d.tags[0]}` : `${d.repository}@${d.digest}`;

const roleNames: Record<number, string> = { 1: 'ProjectAdmin', 2: 'Developer', 3: 'Guest', 4: 'Maintainer', 5: 'LimitedGuest' };

/**
 * Every domain event and what it records (null: not an operation anyone performed, so not audited: a quota
 * warning, a job giving up). Typed over the whole event map, so a new event cannot be forgotten here.
 * Entries hold names, ids and digests, never request bodies, passwords, secrets or tokens.
 */
export const auditFacts: { [N in EventName]: Describe<N> | null } = {
  'user.logged_in': (d) => ({ resourceType: d.robot ? 'robot' : 'user', resource: d.username, operation: 'login', projectId: null, description: `signed in from ${d.address}` }),
  'user.login_failed': (d) => ({ resourceType: 'user', resource: d.username.slice(0, 255), operation: 'login', projectId: null, success: false, description: `failed sign-in from ${d.address}` }),
  'user.created': (d) => ({ resourceType: 'user', resource: d.username, operation: 'create', projectId: null, description: `created user ${d.username}`, detail: { userId: d.userId } }),
  'user.updated': (d) => ({ resourceType: 'user', resource: `user ${d.userId}`, operation: 'update', projectId: null, description: `changed ${d.fields.join(', ')}`, detail: { userId: d.userId, fields: d.fields } }),
  'user.deleted': (d) => ({ resourceType: 'user', resource: `user ${d.userId}`, operation: 'delete', projectId: null, description: 'deleted the user', detail: { userId: d.userId } }),
  'user.password_changed': (d) => ({ resourceType: 'user', resource: `user ${d.userId}`, operation: 'update', projectId: null, description: 'changed the password', detail: { userId: d.userId } }),
  'user.sysadmin_changed': (d) => ({
    resourceType: 'user',
    resource: `user ${d.userId}`,
    operation: 'update',
    projectId: null,
    description: d.sysadmin ? 'made a system administrator' : 'no longer a system administrator',
    detail: { userId: d.userId, sysadmin: d.sysadmin },
  }),
  'project.created': (d) => ({ resourceType: 'project', resource: d.name, operation: 'create', projectId: d.projectId, description: `created ${d.public ? 'public' : 'private'} project` }),
  'project.updated': (d) => ({ resourceType: 'project', resource: d.name, operation: 'update', projectId: d.projectId, description: `updated project settings (${d.public ? 'public' : 'private'})` }),
  'project.deleted': (d) => ({ resourceType: 'project', resource: d.name, operation: 'delete', projectId: d.projectId, description: 'deleted the project' }),
  'member.added': (d) => ({
    resourceType: 'member',
    resource: `member ${d.memberId}`,
    operation: 'create',
    projectId: d.projectId,
    description: `added user ${d.userId} as ${roleNames[d.role] ?? d.role}`,
    detail: { userId: d.userId, role: d.role },
  }),
  'member.updated': (d) => ({ resourceType: 'member', resource: `member ${d.memberId}`, operation: 'update', projectId: d.projectId, description: `role set to ${roleNames[d.role] ?? d.role}`, detail: { role: d.role } }),
  'member.removed': (d) => ({ resourceType: 'member', resource: `member ${d.memberId}`, operation: 'delete', projectId: d.projectId, description: 'removed the member' }),
  'robot.created': (d) => ({ resourceType: 'robot', resource: d.name, operation: 'create', projectId: null, description: `created ${d.level} robot`, detail: { robotId: d.robotId } }),
  'robot.updated': (d) => ({ resourceType: 'robot', resource: d.name, operation: 'update', projectId: null, description: d.disabled === undefined ? 'updated the robot' : d.disabled ? 'disabled the robot' : 'enabled the robot', detail: { robotId: d.robotId } }),
  'robot.secret_refreshed': (d) => ({ resourceType: 'robot', resource: d.name, operation: 'update', projectId: null, description: 'refreshed the secret', detail: { robotId: d.robotId } }),
  'robot.deleted': (d) => ({ resourceType: 'robot', resource: d.name, operation: 'delete', projectId: null, description: 'deleted the robot', detail: { robotId: d.robotId } }),
  'artifact.pushed': (d) => ({
    resourceType: 'artifact',
    resource: artifactResource(d),
    operation: 'create',
    projectId: d.projectId,
    description: d.created ? 'pushed' : 'pushed again (already stored)',
    detail: { digest: d.digest, mediaType: d.mediaType, size: d.size },
  }),
  'artifact.pulled': (d) => ({ resourceType: 'artifact', resource: artifactResource(d), operation: 'pull', projectId: d.projectId, description: 'pulled', detail: { digest: d.digest } }),
  'artifact.deleted': (d) => ({ resourceType: 'artifact', resource: `${d.repository}@${d.digest}`, operation: 'delete', projectId: d.projectId, description: d.tags.length ? `deleted (tags ${d.tags.join(', ')})` : 'deleted', detail: { digest: d.digest, tags: d.tags } }),
  'artifact.copied': (d) => ({
    resourceType: 'artifact',
    resource: artifactResource(d),
    operation: 'create',
    projectId: d.projectId,
    description: `copied from ${d.from.repository}@${d.from.digest}`,
    detail: { digest: d.digest, from: d.from },
  }),
  'artifact.labeled': (d) => ({ resourceType: 'artifact', resource: `${d.repository}@${d.digest}`, operation: 'update', projectId: d.projectId, description: `added label ${d.label}`, detail: { labelId: d.labelId } }),
  'artifact.unlabeled': (d) => ({ resourceType: 'artifact', resource: `${d.repository}@${d.digest}`, operation: 'update', projectId: d.projectId, description: `removed label ${d.label}`, detail: { labelId: d.labelId } }),
  'tag.created': (d) => ({ resourceType: 'tag', resource: artifactResource(d), operation: 'create', projectId: d.projectId, description: `tagged ${d.digest}`, detail: { digest: d.digest } }),
  'tag.deleted': (d) => ({ resourceType: 'tag', resource: artifactResource(d), operation: 'delete', projectId: d.projectId, description: `untagged ${d.digest}`, detail: { digest: d.digest } }),
  'repository.updated': (d) => ({ resourceType: 'repository', resource: d.repository, operation: 'update', projectId: d.projectId, description: 'updated the repository' }),
  'repository.deleted': (d) => ({ resourceType: 'repository', resource: d.repository, operation: 'delete', projectId: d.projectId, description: `deleted the repository (${d.artifacts} artifacts)` }),
  'label.created': (d) => ({ resourceType: 'label', resource: d.name, operation: 'create', projectId: d.projectId, description: `created ${d.scope === 'g' ? 'global' : 'project'} label`, detail: { labelId: d.labelId } }),
  'label.updated': (d) => ({ resourceType: 'label', resource: d.name, operation: 'update', projectId: d.projectId, description: 'updated the label', detail: { labelId: d.labelId } }),
  'label.deleted': (d) => ({ resourceType: 'label', resource: d.name, operation: 'delete', projectId: d.projectId, description: 'deleted the label', detail: { labelId: d.labelId } }),
  'quota.warning': null,
  // The refused push itself is recorded (request.refused); the webhook event is for notification.
  'quota.exceeded': null,
  'quota.updated': (d) => ({ resourceType: 'quota', resource: d.projectName, operation: 'update', projectId: d.projectId, description: `storage limit set to ${d.hard < 0 ? 'unlimited' : `${d.hard} bytes`}`, detail: { hard: d.hard } }),
  'policy.created': (d) => ({ resourceType: `${d.kind}_policy`, resource: d.name, operation: 'create', projectId: d.projectId, description: `created ${d.kind} policy`, detail: { policyId: d.policyId } }),
  'policy.updated': (d) => ({ resourceType: `${d.kind}_policy`, resource: d.name, operation: 'update', projectId: d.projectId, description: `updated ${d.kind} policy`, detail: { policyId: d.policyId } }),
  'policy.deleted': (d) => ({ resourceType: `${d.kind}_policy`, resource: d.name, operation: 'delete', projectId: d.projectId, description: `deleted ${d.kind} policy`, detail: { policyId: d.policyId } }),
  'config.updated': (d) => ({ resourceType: 'configuration', resource: d.keys.join(','), operation: 'update', projectId: null, description: `changed ${d.keys.join(', ')}` }),
  'artifact.promoted': (d) => ({
    resourceType: 'artifact',
    resource: `${d.repository}@${d.digest}`,
    operation: 'promote',
    projectId: d.projectId,
    description: `promoted from ${d.fromStage} to ${d.toStage} (ladder ${d.ladder})${d.tags.length ? ` as ${d.tags.join(', ')}` : ''}`,
    detail: { promotionId: d.promotionId, from: d.fromRepository },
  }),
  'promotion.blocked': (d) => ({
    resourceType: 'artifact',
    resource: `${d.fromRepository}@${d.digest}`,
    operation: 'promote',
    projectId: d.projectId,
    success: false,
    description: `promotion to ${d.toStage} refused: ${d.failed.map((f) => `${f.type}: ${f.reason}`).join('; ')}`.slice(0, 2000),
    detail: { promotionId: d.promotionId, ladder: d.ladder },
  }),
  'approval.created': (d) => ({ resourceType: 'approval', resource: `${d.digest} for ${d.stage}`, operation: 'create', projectId: d.projectId, description: `approved for ${d.stage} (ladder ${d.ladder})`, detail: { approvalId: d.approvalId } }),
  'approval.revoked': (d) => ({ resourceType: 'approval', resource: `${d.digest} for ${d.stage}`, operation: 'delete', projectId: d.projectId, description: `revoked the approval for ${d.stage}`, detail: { approvalId: d.approvalId } }),
  // Scanners are not operators; the report is visible on the artifact.
  'scan.reported': null,
  'scan.completed': null,
  'scan.failed': null,
  // Stopping a scan is a user's decision about an artifact: it is recorded.
  'scan.stopped': (d) => ({ resourceType: 'artifact', resource: `${d.repository}@${d.digest}`, operation: 'stop', projectId: d.projectId, description: 'stopped the scan', detail: { reportId: d.reportId } }),
  'advisories.updated': (d) => ({ resourceType: 'advisories', resource: d.source.slice(0, 512), operation: 'update', projectId: null, description: `imported advisories: ${d.added} added, ${d.updated} updated, ${d.removed} removed` }),
  'job.dead': null,
  'request.refused': (d) => ({
    resourceType: 'request',
    resource: `${d.method} ${d.path}`.slice(0, 512),
    operation: d.method === 'GET' || d.method === 'HEAD' ? 'read' : d.method === 'DELETE' ? 'delete' : d.method === 'PUT' || d.method === 'PATCH' ? 'update' : 'create',
    projectId: null,
    success: false,
    description: `refused with ${d.status} ${d.code}: ${d.message}`.slice(0, 1024),
    detail: { status: d.status, code: d.code },
  }),
};

/** The entry an event records, or null when it is not audited. */
export function auditEntryOf(event: DomainEvent): AuditEntry | null {
  const describe = auditFacts[event.name] as Describe<EventName> | null;
  if (!describe) return null;
  const facts = describe(event.data);
  return {
    opTime: event.occurredAt,
    operator: event.operator,
    address: event.address ?? null,
    requestId: event.requestId ?? null,
    resourceType: facts.resourceType,
    resource: facts.resource,
    operation: facts.operation,
    success: facts.success ?? true,
    projectId: facts.projectId,
    description: facts.description,
    detail: facts.detail ?? null,
    count: 1,
  };
}
