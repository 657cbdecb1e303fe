import type { EventMap, EventName } from '../events/event-types.ts';

/**
 * What a domain event says about where it happened, in the terms every payload format needs: the project, the
 * repository (full name, `<project>/<repository>`), the artifact and its tags, and extra attributes.
 */
export interface EventSubject {
  projectId: number;
  projectName: string;
  repository?: string;
  digest?: string;
  tags: string[];
  /** Harbor's `custom_attributes` (quota events carry a `Details` message). */
  custom?: Record<string, string>;
  /** Name the artifact without a resource URL (Harbor's quota events do). */
  bareResource?: boolean;
  /** Harbor's scan events carry the report summary in `resources[0].scan_overview`. */
  scanOverview?: Record<string, unknown>;
}

interface EventMapping<N extends EventName> {
  /** The Berth domain event a row listens to. */
  event: N;
  /** Harbor's webhook event type: what policies subscribe to and what the Default payload's `type` says. */
  type: string;
  /** Harbor's CloudEvents `type` for it. */
  cloudEventType: string;
  subject(data: EventMap[N]): EventSubject;
}

/** A row of the table, with its event's data type erased (the table is read by event name). */
export type WebhookEventMapping = EventMapping<EventName>;

const row = <N extends EventName>(mapping: EventMapping<N>): WebhookEventMapping => mapping as unknown as WebhookEventMapping;

const artifact = (d: EventMap['artifact.pushed' | 'artifact.pulled' | 'artifact.deleted' | 'artifact.copied']): EventSubject => ({
  projectId: d.projectId,
  projectName: d.projectName,
  repository: d.repository,
  digest: d.digest,
  tags: d.tags,
});

const scan = (d: EventMap['scan.completed']): EventSubject => ({
  projectId: d.projectId,
  projectName: d.projectName,
  repository: d.repository,
  digest: d.digest,
  tags: d.tags,
  scanOverview: { 'application/vnd.security.vulnerability.report; version=1.1': d.overview },
  ...(d.error ? { custom: { Details: d.error.slice(0, 2000) } } : {}),
});

const quota = (d: EventMap['quota.warning'], details: string): EventSubject => ({
  projectId: d.projectId,
  projectName: d.projectName,
  ...(d.repository ? { repository: d.repository } : {}),
  ...(d.digest ? { digest: d.digest } : {}),
  tags: [],
  custom: { Details: details },
  bareResource: true,
});

/**
 * The one table from Berth's domain events to Harbor's webhook event types. Later issues add their rows here
 * (scanning, replication, retention, promotion), and nothing else needs to change: the subscriber listens to
 * every row's event, the API lists every row's type, policies may subscribe to exactly these types.
 */
export const webhookEventTable: readonly WebhookEventMapping[] = [
  row({ event: 'artifact.pushed', type: 'PUSH_ARTIFACT', cloudEventType: 'harbor.artifact.pushed', subject: artifact }),
  // A server-side copy puts an artifact into the destination repository: for receivers it is a push there.
  row({ event: 'artifact.copied', type: 'PUSH_ARTIFACT', cloudEventType: 'harbor.artifact.pushed', subject: artifact }),
  row({ event: 'artifact.pulled', type: 'PULL_ARTIFACT', cloudEventType: 'harbor.artifact.pulled', subject: artifact }),
  row({ event: 'artifact.deleted', type: 'DELETE_ARTIFACT', cloudEventType: 'harbor.artifact.deleted', subject: artifact }),
  // Berth's promotions: the artifact as it now is in the target stage, with the route in custom attributes.
  row({
    event: 'artifact.promoted',
    type: 'PROMOTE_ARTIFACT',
    cloudEventType: 'berth.artifact.promoted',
    subject: (d: EventMap['artifact.promoted']) => ({
      projectId: d.projectId,
      projectName: d.projectName,
      repository: d.repository,
      digest: d.digest,
      tags: d.tags,
      custom: { ladder: d.ladder, from_stage: d.fromStage, to_stage: d.toStage, from_repository: d.fromRepository, promotion_id: String(d.promotionId) },
    }),
  }),
  // A refused promotion, about the artifact where it stayed (its source stage).
  row({
    event: 'promotion.blocked',
    type: 'PROMOTION_BLOCKED',
    cloudEventType: 'berth.promotion.blocked',
    subject: (d: EventMap['promotion.blocked']) => ({
      projectId: d.projectId,
      projectName: d.projectName,
      repository: d.repository,
      digest: d.digest,
      tags: d.tags,
      custom: {
        ladder: d.ladder,
        from_stage: d.fromStage,
        to_stage: d.toStage,
        promotion_id: String(d.promotionId),
        Details: d.failed.map((f) => `${f.type}: ${f.reason}`).join('; ').slice(0, 2000),
      },
    }),
  }),
  row({ event: 'scan.completed', type: 'SCANNING_COMPLETED', cloudEventType: 'harbor.scan.completed', subject: scan }),
  row({ event: 'scan.failed', type: 'SCANNING_FAILED', cloudEventType: 'harbor.scan.failed', subject: scan }),
  row({ event: 'scan.stopped', type: 'SCANNING_STOPPED', cloudEventType: 'harbor.scan.stopped', subject: scan }),
  row({
    event: 'quota.exceeded',
    type: 'QUOTA_EXCEED',
    cloudEventType: 'harbor.quota.exceeded',
    subject: (d: EventMap['quota.exceeded']) =>
      quota(d, `adding ${d.requested} bytes would exceed the project's storage limit of ${d.hard} bytes (${d.used} bytes used)`),
  }),
  row({
    event: 'quota.warning',
    type: 'QUOTA_WARNING',
    cloudEventType: 'harbor.quota.warned',
    subject: (d: EventMap['quota.warning']) => quota(d, `the project uses ${d.used} of its ${d.hard} bytes of storage`),
  }),
];

/** The Harbor event types policies may subscribe to, in table order, each once. */
export const supportedEventTypes: readonly string[] = [...new Set(webhookEventTable.map((m) => m.type))];

const cloudEventTypes = new Map(webhookEventTable.map((m) => [m.type, m.cloudEventType]));

/** Harbor's CloudEvents type for a webhook event type. */
export function cloudEventTypeOf(type: string): string {
  const found = cloudEventTypes.get(type);
  if (!found) throw new Error(`no CloudEvents type for ${type}`);
  return found;
}
