import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';

/** Harbor's ImmutableSelector as a client sends it. */
export interface SelectorReq {
  kind: string;
  decoration: string;
  pattern: string;
  extras?: string | null;
}

/** Harbor's ImmutableRule as a client sends it (create and update). */
export interface ImmutableRuleReq {
  id?: number | null;
  priority?: number | null;
  disabled?: boolean | null;
  action?: string | null;
  template?: string | null;
  params?: Record<string, unknown> | null;
  tag_selectors: SelectorReq[];
  scope_selectors: { repository: SelectorReq[] };
}

const selector = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'decoration', 'pattern'],
  properties: {
    kind: { type: 'string', maxLength: 50 },
    decoration: { type: 'string', maxLength: 50 },
    pattern: { type: 'string', minLength: 1, maxLength: 255 },
    extras: { type: 'string', maxLength: 1024, nullable: true },
  },
} as const;

/**
 * The shape of an ImmutableRule; what the selectors say (kinds, decorations, patterns) is checked by the service,
 * which names the offending field. Harbor evaluates only the first tag and repository selector, so exactly one of
 * each is accepted rather than ignoring the rest silently.
 */
export const validateImmutableRuleReq = bodySchema<ImmutableRuleReq>({
  type: 'object',
  additionalProperties: false,
  required: ['tag_selectors', 'scope_selectors'],
  properties: {
    id: { type: 'integer', nullable: true },
    priority: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000, nullable: true },
    disabled: { type: 'boolean', nullable: true },
    action: { type: 'string', maxLength: 50, nullable: true },
    template: { type: 'string', maxLength: 100, nullable: true },
    params: { type: 'object', maxProperties: 20, nullable: true },
    tag_selectors: { type: 'array', minItems: 1, maxItems: 1, items: selector },
    scope_selectors: {
      type: 'object',
      additionalProperties: false,
      required: ['repository'],
      properties: { repository: { type: 'array', minItems: 1, maxItems: 1, items: selector } },
    },
  },
} as unknown as JSONSchemaType<ImmutableRuleReq>);
