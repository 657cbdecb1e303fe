import { BerthError } from '../core/errors.ts';
import type { SecretBox } from '../core/secret-box.ts';
import { filterProblem, type WebhookFilters } from './filters.ts';
import { isPayloadFormat, payloadFormatNames } from './formats/index.ts';
import { supportedEventTypes } from './webhook-events.ts';
import type { WebhookPolicyReq, WebhookTargetReq } from './webhooks.schema.ts';
import type { PolicyValues, StoredTarget, WebhookPolicyRow } from './webhooks.repo.ts';

/** What responses show instead of a target's auth header; sending it back unchanged keeps the stored header. */
export const maskedHeader = '******';

export interface PolicyDefaults {
  timeoutSeconds: number;
  maxAttempts: number;
}

const bad = (message: string): BerthError => new BerthError('BAD_REQUEST', message);
// One line of visible ASCII: anything else would break (or inject) an HTTP header.
const headerValue = /^[\t\x20-\x7e]*$/;
const noControl = /^[^\x00-\x1f\x7f]*$/;

/** A target address must be an absolute http(s) URL with a host, and no credentials or fragment in it. */
export function checkAddress(raw: string): string {
  const address = raw.trim();
  let url: URL;
  try {
    if (!address || /\s/.test(address)) throw new Error('blank');
    url = new URL(address);
  } catch {
    throw bad(`target address "${raw.slice(0, 100)}" is not a URL; give http://host[:port]/path or https://...`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`target address must use http or https, not ${url.protocol.slice(0, 20)}`);
  if (!url.hostname) throw bad('target address has no host');
  if (url.username || url.password) throw bad('put credentials in auth_header, not in the target address');
  if (url.hash) throw bad('a target address cannot carry a #fragment');
  return address;
}

function eventTypes(types: string[]): string[] {
  if (types.length === 0) throw bad('event_types must name at least one event type');
  for (const t of types) {
    if (!supportedEventTypes.includes(t)) throw bad(`unsupported event type "${t.slice(0, 64)}"; supported: ${supportedEventTypes.join(', ')}`);
  }
  return [...new Set(types)];
}

function target(req: WebhookTargetReq, index: number, current: StoredTarget[], secrets: SecretBox): StoredTarget {
  const type = req.type ?? 'http';
  if (type !== 'http') throw bad(`targets[${index}]: unsupported target type "${type}"; only http targets are supported`);
  const format = req.payload_format || 'Default';
  if (!isPayloadFormat(format)) throw bad(`targets[${index}]: unsupported payload format "${format}"; use ${payloadFormatNames.join(', ')}`);
  const address = checkAddress(req.address);
  const out: StoredTarget = { type: 'http', address, skip_cert_verify: req.skip_cert_verify ?? false, payload_format: format };
  const header = req.auth_header ?? '';
  if (header === maskedHeader) {
    // The header shown masked and sent back: keep what is stored for the same address.
    const kept = current.find((t) => t.address === address && t.auth_header_sealed)?.auth_header_sealed;
    if (!kept) throw bad(`targets[${index}]: auth_header is the mask "${maskedHeader}" but no header is stored for ${address.slice(0, 100)}; send the header itself`);
    out.auth_header_sealed = kept;
  } else if (header) {
    if (!headerValue.test(header)) throw bad(`targets[${index}]: auth_header must be one line of printable ASCII`);
    out.auth_header_sealed = secrets.seal(header);
  }
  return out;
}

function filters(req: WebhookPolicyReq['filters']): WebhookFilters {
  const out: WebhookFilters = {};
  if (req?.repositories?.length) out.repositories = req.repositories;
  if (req?.tags?.length) out.tags = req.tags;
  const problem = filterProblem(out);
  if (problem) throw bad(problem);
  return out;
}

/**
 * The stored values for a create (`current` undefined) or an update. Both need `event_types` and `targets`, as in
 * Harbor; an update keeps the other fields the body leaves out, so Harbor clients, which know nothing of Berth's
 * additions, do not wipe the filters, secret or retry settings (nor, unlike Harbor, disable a policy by omitting
 * `enabled`).
 */
export function policyValues(req: WebhookPolicyReq, current: WebhookPolicyRow | undefined, secrets: SecretBox, defaults: PolicyDefaults): PolicyValues {
  const name = req.name?.trim() ?? current?.name;
  if (!name) throw bad('name is required');
  if (!noControl.test(name)) throw bad('name cannot contain control characters');
  // Harbor's create and update both need the event types and targets; the rest may be left out.
  const types = req.event_types;
  if (!types) throw bad('event_types is required');
  const targets = req.targets;
  if (!targets) throw bad('targets is required');
  if (targets.length === 0) throw bad('targets must hold at least one target');
  let secret = current?.secret_encrypted ?? null;
  if (req.secret === null || req.secret === '') secret = null;
  else if (req.secret !== undefined) {
    if (!noControl.test(req.secret)) throw bad('secret cannot contain control characters');
    secret = secrets.seal(req.secret);
  }
  return {
    name,
    description: req.description ?? current?.description ?? '',
    enabled: req.enabled ?? current?.enabled ?? true,
    event_types: eventTypes(types),
    targets: targets.map((t, i) => target(t, i, current?.targets ?? [], secrets)),
    filters: req.filters === undefined && current ? current.filters : filters(req.filters),
    secret_encrypted: secret,
    timeout_seconds: req.timeout_seconds ?? current?.timeout_seconds ?? defaults.timeoutSeconds,
    max_attempts: req.max_attempts ?? current?.max_attempts ?? defaults.maxAttempts,
  };
}
