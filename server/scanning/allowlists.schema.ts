import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';

/** Harbor's CVEAllowlist as a request body (id, project_id and the times are read-only and ignored). */
export interface AllowlistReq {
  id?: number;
  project_id?: number;
  expires_at?: number | null;
  items?: Array<{ cve_id?: string }>;
  creation_time?: string;
  update_time?: string;
}

export const allowlistSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'integer', nullable: true },
    project_id: { type: 'integer', nullable: true },
    expires_at: { type: 'integer', minimum: 0, maximum: 253402300799, nullable: true },
    items: {
      type: 'array',
      nullable: true,
      maxItems: 10000,
      items: { type: 'object', additionalProperties: false, properties: { cve_id: { type: 'string', maxLength: 128, nullable: true } } },
    },
    creation_time: { type: 'string', nullable: true },
    update_time: { type: 'string', nullable: true },
  },
} as const;

export const validateAllowlistReq = bodySchema<AllowlistReq>(allowlistSchema as unknown as JSONSchemaType<AllowlistReq>);

export const allowlistItems = (body: AllowlistReq): string[] => (body.items ?? []).map((i) => i.cve_id ?? '');
