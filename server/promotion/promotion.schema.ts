import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';

export interface PromoteBody {
  to?: string;
  tags?: string[];
  dry_run?: boolean;
}

const promoteProperties = {
  to: { type: 'string', minLength: 1, maxLength: 63, nullable: true },
  tags: { type: 'array', maxItems: 20, uniqueItems: true, nullable: true, items: { type: 'string', minLength: 1, maxLength: 128 } },
  dry_run: { type: 'boolean', nullable: true },
} as const;

export const validatePromoteBody = bodySchema<PromoteBody>({
  type: 'object',
  additionalProperties: false,
  properties: promoteProperties,
} as unknown as JSONSchemaType<PromoteBody>);

/** `POST /promotions`: the artifact as `<project>/<repo>@<digest>` or `<project>/<repo>:<tag>`. */
export const validatePromotionReq = bodySchema<PromoteBody & { artifact: string }>({
  type: 'object',
  additionalProperties: false,
  required: ['artifact'],
  properties: { artifact: { type: 'string', minLength: 3, maxLength: 600 }, ...promoteProperties },
} as unknown as JSONSchemaType<PromoteBody & { artifact: string }>);

export const validateApprovalReq = bodySchema<{ stage?: string; comment?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: {
    stage: { type: 'string', minLength: 1, maxLength: 63, nullable: true },
    comment: { type: 'string', maxLength: 2048, nullable: true },
  },
} as unknown as JSONSchemaType<{ stage?: string; comment?: string }>);

export const validateGateReq = bodySchema<{ stage?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: { stage: { type: 'string', minLength: 1, maxLength: 63, nullable: true } },
} as unknown as JSONSchemaType<{ stage?: string }>);
