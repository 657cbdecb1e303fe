import { bodySchema } from '../http/validate.ts';

/** Harbor's QuotaUpdateReq; storage is the only resource Berth limits. */
export interface QuotaUpdateReq {
  hard: { storage: number };
}

export const validateQuotaUpdateReq = bodySchema<QuotaUpdateReq>({
  type: 'object',
  additionalProperties: false,
  required: ['hard'],
  properties: {
    hard: {
      type: 'object',
      additionalProperties: false,
      required: ['storage'],
      properties: { storage: { type: 'integer', minimum: -1, maximum: Number.MAX_SAFE_INTEGER } },
    },
  },
});
