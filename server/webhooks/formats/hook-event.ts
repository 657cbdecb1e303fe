/**
 * One event as every payload format sees it: what happened (Harbor's event type), when, by whom, and to what.
 * Built once per event by the dispatcher; the formatters are pure functions of it.
 */
export interface HookEvent {
  /** The domain event's id (CloudEvents `id`; a redelivery keeps it, so receivers can tell repeats apart). */
  id: string;
  requestId?: string;
  /** Harbor's webhook event type (`PUSH_ARTIFACT` ...). */
  type: string;
  occurredAt: Date;
  operator: string;
  /** host[:port] of the registry, as clients name it in image references. */
  registryHost: string;
  project: { id: number; name: string; public: boolean };
  /** Full name (`<project>/<repository>`) and, when it still exists, when the repository was created. */
  repository?: { name: string; createdAt?: Date };
  digest?: string;
  tags: string[];
  custom?: Record<string, string>;
  /** Name the artifact without a resource URL (quota events). */
  bareResource?: boolean;
  /** Scan events: the report summary by report MIME type. */
  scanOverview?: Record<string, unknown>;
}

/** The policy a body is rendered for (CloudEvents names it in `source`). */
export interface HookPolicy {
  id: number;
  projectId: number;
}

/** A rendered body and its content type. */
export interface RenderedPayload {
  contentType: string;
  body: string;
}

export const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);
