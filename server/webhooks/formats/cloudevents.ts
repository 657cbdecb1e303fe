import { cloudEventTypeOf } from '../webhook-events.ts';
import { harborEventData } from './harbor-payload.ts';
import type { HookEvent, HookPolicy, RenderedPayload } from './hook-event.ts';

/** RFC 3339 in UTC to the second, as Harbor writes CloudEvents `time` (it keeps Unix seconds). */
const rfc3339 = (d: Date): string => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Harbor's `CloudEvents` format (CloudEvents 1.0, structured mode, `application/cloudevents+json`): `id`, the
 * `requestid` and `operator` extensions, `source` naming the policy, Harbor's `harbor.<...>` types and Harbor's
 * EventData as `data`.
 */
export function formatCloudEvents(hook: HookEvent, policy: HookPolicy): RenderedPayload {
  const event = {
    specversion: '1.0',
    id: hook.id,
    ...(hook.requestId ? { requestid: hook.requestId } : {}),
    source: `/projects/${policy.projectId}/webhook/policies/${policy.id}`,
    type: cloudEventTypeOf(hook.type),
    datacontenttype: 'application/json',
    time: rfc3339(hook.occurredAt),
    data: harborEventData(hook),
    operator: hook.operator,
  };
  return { contentType: 'application/cloudevents+json', body: JSON.stringify(event) };
}
