import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../../http/validate.ts';
import type { ScannerRegistrationInput } from './scanners.service.ts';

const authTypes = ['', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key'];
// An adapter is an HTTP service; the built-in scanner keeps its own URL (updates must repeat it).
const urlPattern = '^(https?://[^\\s/?#]+(/[^\\s?#]*)?|builtin://berth)$';

/** Harbor's ScannerRegistrationReq. */
export const validateRegistration = bodySchema<ScannerRegistrationInput>({
  type: 'object',
  additionalProperties: false,
  required: ['name', 'url'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' },
    description: { type: 'string', maxLength: 1024, nullable: true },
    url: { type: 'string', maxLength: 2048, pattern: urlPattern },
    auth: { type: 'string', enum: authTypes, nullable: true },
    access_credential: { type: 'string', maxLength: 4096, nullable: true },
    skip_certVerify: { type: 'boolean', nullable: true },
    use_internal_addr: { type: 'boolean', nullable: true },
    disabled: { type: 'boolean', nullable: true },
  },
} as unknown as JSONSchemaType<ScannerRegistrationInput>);

/** Harbor's ScannerRegistrationSettings (the ping body). */
export const validatePing = bodySchema<{ name?: string; url: string; auth?: string; access_credential?: string }>({
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    name: { type: 'string', maxLength: 255, nullable: true },
    url: { type: 'string', maxLength: 2048, pattern: urlPattern },
    auth: { type: 'string', enum: authTypes, nullable: true },
    access_credential: { type: 'string', maxLength: 4096, nullable: true },
  },
} as unknown as JSONSchemaType<{ name?: string; url: string; auth?: string; access_credential?: string }>);

/** Harbor's IsDefault (PATCH /scanners/{id}). */
export const validateIsDefault = bodySchema<{ is_default: boolean }>({
  type: 'object',
  additionalProperties: false,
  required: ['is_default'],
  properties: { is_default: { type: 'boolean' } },
});

/** Harbor's ProjectScanner. */
export const validateProjectScanner = bodySchema<{ uuid: string }>({
  type: 'object',
  additionalProperties: false,
  required: ['uuid'],
  properties: { uuid: { type: 'string', minLength: 1, maxLength: 64 } },
});
