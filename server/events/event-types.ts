/**
 * Domain events: dotted, lowercase, past tense. Services emit them after their change is committed; the audit
 * log, pull statistics, webhooks and (later) replication, scan-on-push and promotion subscribe. Each carries who
 * did it (`operator`) and, when it happened during a request, the client's address and the request id.
 */

/** An artifact as registry events name it. */
export interface ArtifactEventData {
  projectId: number;
  projectName: string;
  /** The full repository name, `<project>/<repository>`. */
  repository: string;
  digest: string;
  mediaType: string;
  /** The tag pushed, pulled, created or deleted; for an artifact deletion, the tags it had. */
  tags: string[];
  /** Total size (manifest and blobs), when known. */
  size?: number;
}

export interface QuotaEventData {
  projectId: number;
  projectName: string;
  /** The repository and artifact whose push crossed the line, when a push did. */
  repository?: string;
  digest?: string;
  used: number;
  hard: number;
}

/** A promotion as its events name it. */
export interface PromotionEventData {
  promotionId: number;
  ladder: string;
  fromStage: string;
  toStage: string;
  /** The target project and repository (the source's for a refusal, which moved nothing). */
  projectId: number;
  projectName: string;
  repository: string;
  fromRepository: string;
  digest: string;
  mediaType: string;
  tags: string[];
}

/** A scan as its events name it: the artifact (in the repository it was scanned for) and the report. */
export interface ScanEventData {
  projectId: number;
  projectName: string;
  repository: string;
  digest: string;
  tags: string[];
  reportId: number;
  scanner: { name: string; vendor: string; version: string } | null;
  /** Harbor's NativeReportSummary of the scan, for the webhook's `scan_overview`. */
  overview: Record<string, unknown>;
  /** Why it failed or was stopped. */
  error?: string;
}

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
  /** A manifest PUT (`created` false when the digest was already in the repository: a re-push or a retag). */
  'artifact.pushed': ArtifactEventData & { created: boolean };
  /** A manifest GET (not HEAD), by tag or by digest. */
  'artifact.pulled': ArtifactEventData;
  'artifact.deleted': ArtifactEventData;
  /** A server-side copy into `repository` from another repository (no blob bytes moved). */
  'artifact.copied': ArtifactEventData & { from: { repository: string; digest: string } };
  'artifact.labeled': ArtifactEventData & { labelId: number; label: string };
  'artifact.unlabeled': ArtifactEventData & { labelId: number; label: string };
  /** A tag added through the API or a copy (pushes by tag are `artifact.pushed`). */
  'tag.created': ArtifactEventData;
  'tag.deleted': ArtifactEventData;
  'repository.updated': { projectId: number; projectName: string; repository: string };
  'repository.deleted': { projectId: number; projectName: string; repository: string; artifacts: number };
  'label.created': { labelId: number; name: string; scope: 'g' | 'p'; projectId: number | null };
  'label.updated': { labelId: number; name: string; scope: 'g' | 'p'; projectId: number | null };
  'label.deleted': { labelId: number; name: string; scope: 'g' | 'p'; projectId: number | null };
  /** Usage passed 85% of the limit. */
  'quota.warning': QuotaEventData;
  /** A push or copy was refused because it would pass the limit. */
  'quota.exceeded': QuotaEventData & { requested: number };
  'quota.updated': { projectId: number; projectName: string; hard: number };
  /** A project policy document (immutability rule, webhook policy, ...) changed. */
  'policy.created': { kind: string; projectId: number | null; policyId: number; name: string };
  'policy.updated': { kind: string; projectId: number | null; policyId: number; name: string };
  'policy.deleted': { kind: string; projectId: number | null; policyId: number; name: string };
  'config.updated': { keys: string[] };
  /** An artifact moved, by digest, from one stage of a promotion ladder to the next (or a named) one. */
  'artifact.promoted': PromotionEventData;
  /** A promotion refused by its gates (the record lists every gate with its result). */
  'promotion.blocked': PromotionEventData & { failed: Array<{ type: string; reason: string }> };
  /** An approval of an artifact for a stage was recorded, or revoked. */
  'approval.created': { approvalId: number; ladder: string; stage: string; digest: string; projectId: number | null };
  'approval.revoked': { approvalId: number; ladder: string; stage: string; digest: string; projectId: number | null };
  /** A vulnerability report was stored for a digest (by a scanner, or through the service layer). */
  'scan.reported': { digest: string; status: string; severity: string | null };
  /** A scan finished with a report. */
  'scan.completed': ScanEventData;
  /** A scan gave up (after its retries) or could not start. */
  'scan.failed': ScanEventData;
  /** A scan was stopped by a user before it finished. */
  'scan.stopped': ScanEventData;
  /** An advisory import changed the advisory database. */
  'advisories.updated': { source: string; added: number; updated: number; removed: number };
  /** A job gave up after its last attempt (or failed permanently). */
  'job.dead': { jobId: number; type: string; error: string };
  /**
   * A request refused by policy or access control (403, 412): the audit log records who tried what. Emitted by
   * the API surfaces' error rendering, the one place that sees every refusal.
   */
  'request.refused': { method: string; path: string; status: number; code: string; message: string };
}

export type EventName = keyof EventMap;

export interface DomainEvent<N extends EventName = EventName> {
  /** Unique id: webhooks send it (CloudEvents `id`) so receivers can drop duplicates. */
  id: string;
  name: N;
  /** Who caused it: a username, a robot name, or `anonymous`/`system`. */
  operator: string;
  /** The client's address, when a request caused it. */
  address?: string;
  requestId?: string;
  /** The Host the request addressed (registry host for webhook payloads when no external URL is set). */
  host?: string;
  occurredAt: Date;
  data: EventMap[N];
}
