import { harborPayload } from './harbor-payload.ts';
import type { HookEvent, RenderedPayload } from './hook-event.ts';

/**
 * Harbor's `Default` format: its Payload as JSON (`type`, `occur_at`, `operator`, `event_data` with `resources`
 * and `repository`), sent as `application/json`.
 */
export function formatDefault(hook: HookEvent): RenderedPayload {
  return { contentType: 'application/json', body: JSON.stringify(harborPayload(hook)) };
}
