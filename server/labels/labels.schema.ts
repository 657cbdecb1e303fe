import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';

/** Harbor's Label as a request body. Read-only fields (id, times) may be sent back as they were received. */
export interface LabelReq {
  id?: number;
  name?: string;
  description?: string;
  color?: string;
  scope?: 'g' | 'p';
  project_id?: number;
  creation_time?: string;
  update_time?: string;
  deleted?: boolean;
}

const labelProperties = {
  id: { type: 'integer', minimum: 0, nullable: true },
  // Printable text: no control characters, not only spaces.
  name: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$', nullable: true },
  description: { type: 'string', maxLength: 1024, nullable: true },
  color: { type: 'string', maxLength: 32, pattern: '^(#[0-9a-fA-F]{3,8})?$', nullable: true },
  scope: { type: 'string', enum: ['g', 'p'], nullable: true },
  project_id: { type: 'integer', minimum: 0, maximum: 999_999_999, nullable: true },
  creation_time: { type: 'string', nullable: true },
  update_time: { type: 'string', nullable: true },
  deleted: { type: 'boolean', nullable: true },
} as const;

export const validateLabelReq = bodySchema<LabelReq>({
  type: 'object',
  additionalProperties: false,
  properties: labelProperties,
} as unknown as JSONSchemaType<LabelReq>);

/** Attaching a label to an artifact: Harbor's Label, of which only the id is needed. */
export const validateLabelRef = bodySchema<LabelReq & { id: number }>({
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { ...labelProperties, id: { type: 'integer', minimum: 1, maximum: 999_999_999 } },
} as unknown as JSONSchemaType<LabelReq & { id: number }>);
