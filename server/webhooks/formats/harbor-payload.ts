import { unixSeconds, type HookEvent } from './hook-event.ts';

/** Harbor's `Resource`: the artifact an event is about. */
export interface HarborResource {
  digest?: string;
  tag?: string;
  resource_url?: string;
  scan_overview?: Record<string, unknown>;
}

/** Harbor's `Repository` of an event. */
export interface HarborRepository {
  date_created?: number;
  name: string;
  namespace: string;
  repo_full_name: string;
  repo_type: 'public' | 'private';
}

/** Harbor's `EventData`. */
export interface HarborEventData {
  resources?: HarborResource[];
  repository?: HarborRepository;
  custom_attributes?: Record<string, string>;
}

/** Harbor's `Payload`: the Default format's whole body. */
export interface HarborPayload {
  type: string;
  occur_at: number;
  operator: string;
  event_data?: HarborEventData;
}

/** The reference Harbor names an artifact by: its first tag, or its digest when it has none. */
export const referenceOf = (hook: HookEvent): string | undefined => hook.tags[0] ?? hook.digest;

/** `<host>/<project>/<repo>:<tag>`, or `<host>/<project>/<repo>@<digest>` when the reference is a digest. */
export function resourceUrl(host: string, repository: string, reference: string): string {
  return reference.includes(':') ? `${host}/${repository}@${reference}` : `${host}/${repository}:${reference}`;
}

/** The repository inside its project: `team/app` of `proj/team/app`. */
export const nameInProject = (fullName: string): string => fullName.slice(fullName.indexOf('/') + 1);

/**
 * Harbor's EventData for an event: the artifact as `resources[0]` (quota events without an artifact have none;
 * theirs carry no resource URL, as in Harbor), the repository with its visibility, and custom attributes.
 * Optional fields are left out when empty, as Harbor's `omitempty` does.
 */
export function harborEventData(hook: HookEvent): HarborEventData {
  const data: HarborEventData = {};
  const reference = referenceOf(hook);
  if (hook.repository && reference) {
    // Quota events name the artifact by digest (and tag, when known) without a URL, as Harbor's quota handler does.
    data.resources = hook.bareResource
      ? [{ ...(hook.digest ? { digest: hook.digest } : {}), ...(hook.tags[0] ? { tag: hook.tags[0] } : {}) }]
      : [
          {
            ...(hook.digest ? { digest: hook.digest } : {}),
            tag: reference,
            resource_url: resourceUrl(hook.registryHost, hook.repository.name, reference),
            ...(hook.scanOverview ? { scan_overview: hook.scanOverview } : {}),
          },
        ];
  }
  if (hook.repository) {
    data.repository = {
      ...(hook.repository.createdAt ? { date_created: unixSeconds(hook.repository.createdAt) } : {}),
      name: nameInProject(hook.repository.name),
      namespace: hook.project.name,
      repo_full_name: hook.repository.name,
      repo_type: hook.project.public ? 'public' : 'private',
    };
  }
  if (hook.custom) data.custom_attributes = { ...hook.custom };
  return data;
}

/** Harbor's Payload (`type`, `occur_at` in Unix seconds, `operator`, `event_data`). */
export function harborPayload(hook: HookEvent): HarborPayload {
  const eventData = harborEventData(hook);
  return {
    type: hook.type,
    occur_at: unixSeconds(hook.occurredAt),
    operator: hook.operator,
    ...(Object.keys(eventData).length ? { event_data: eventData } : {}),
  };
}
