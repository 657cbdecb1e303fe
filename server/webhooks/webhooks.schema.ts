import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';
import { maxPatterns } from './filters.ts';

/** Harbor's WebhookTargetObject. */
export interface WebhookTargetReq {
  type?: string | null;
  address: string;
  auth_header?: string | null;
  skip_cert_verify?: boolean | null;
  payload_format?: string | null;
}

/**
 * Harbor's WebhookPolicy plus Berth's additions (`filters`, `secret`, `timeout_seconds`, `max_attempts`). The
 * read-only fields Harbor clients send back (`id`, `project_id`, `creator`, times, and Berth's `has_secret`) are
 * accepted and ignored.
 */
export interface WebhookPolicyReq {
  name?: string | null;
  description?: string | null;
  enabled?: boolean | null;
  event_types?: string[] | null;
  targets?: WebhookTargetReq[] | null;
  filters?: { repositories?: string[] | null; tags?: string[] | null } | null;
  /** The HMAC secret: write-only. Absent keeps the current one; null or "" removes it. */
  secret?: string | null;
  timeout_seconds?: number | null;
  max_attempts?: number | null;
  id?: number | null;
  project_id?: number | null;
  creator?: string | null;
  creation_time?: string | null;
  update_time?: string | null;
  has_secret?: boolean | null;
}

/** At most this many targets per policy: each event is rendered and sent once per target. */
export const maxTargets = 10;

const patterns = { type: 'array', nullable: true, maxItems: maxPatterns, items: { type: 'string', maxLength: 255 } } as const;

export const validatePolicyReq = bodySchema<WebhookPolicyReq>({
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', nullable: true, maxLength: 256 },
    description: { type: 'string', nullable: true, maxLength: 1024 },
    enabled: { type: 'boolean', nullable: true },
    event_types: { type: 'array', nullable: true, maxItems: 50, items: { type: 'string', maxLength: 64 } },
    targets: {
      type: 'array',
      nullable: true,
      maxItems: maxTargets,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address'],
        properties: {
          type: { type: 'string', nullable: true, maxLength: 32 },
          address: { type: 'string', maxLength: 2048 },
          auth_header: { type: 'string', nullable: true, maxLength: 4096 },
          skip_cert_verify: { type: 'boolean', nullable: true },
          payload_format: { type: 'string', nullable: true, maxLength: 32 },
        },
      },
    },
    filters: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: [],
      properties: { repositories: patterns, tags: patterns },
    },
    secret: { type: 'string', nullable: true, maxLength: 1024 },
    timeout_seconds: { type: 'integer', nullable: true, minimum: 1, maximum: 300 },
    max_attempts: { type: 'integer', nullable: true, minimum: 1, maximum: 50 },
    id: { type: 'integer', nullable: true },
    project_id: { type: 'integer', nullable: true },
    creator: { type: 'string', nullable: true, maxLength: 256 },
    creation_time: { type: 'string', nullable: true, maxLength: 64 },
    update_time: { type: 'string', nullable: true, maxLength: 64 },
    has_secret: { type: 'boolean', nullable: true },
  },
} as unknown as JSONSchemaType<WebhookPolicyReq>);
