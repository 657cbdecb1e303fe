import { allowlistSchema, type AllowlistReq } from '../scanning/allowlists.schema.ts';
import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';

/** Project metadata keys Berth accepts; values are strings, as in Harbor. */
export const metadataKeys = ['public', 'auto_scan', 'prevent_vul', 'severity', 'enable_content_trust', 'enable_content_trust_cosign', 'reuse_sys_cve_allowlist', 'trust_policy'] as const;

export interface ProjectReq {
  project_name?: string;
  public?: boolean;
  metadata?: Partial<Record<(typeof metadataKeys)[number], string>>;
  storage_limit?: number;
  registry_id?: number | null;
  /** Harbor's project CVE allowlist (used when `reuse_sys_cve_allowlist` is "false"). */
  cve_allowlist?: AllowlistReq | null;
}

/**
 * The settings a ProjectReq asks for, over `current` ones: Harbor keeps `public` both as the string metadata
 * `public` and as a deprecated boolean; Berth stores it as a column and the other flags as string metadata.
 */
export function projectSettings(body: ProjectReq, current: { public: boolean; metadata: Record<string, string> }): { public: boolean; metadata: Record<string, string> } {
  const metadata: Record<string, string> = { ...current.metadata };
  for (const [key, value] of Object.entries(body.metadata ?? {})) if (typeof value === 'string') metadata[key] = value;
  const isPublic = body.metadata?.public ? body.metadata.public === 'true' : typeof body.public === 'boolean' ? body.public : current.public;
  delete metadata.public;
  return { public: isPublic, metadata };
}

const flag = { type: 'string', enum: ['true', 'false'], nullable: true } as const;

export const validateProjectReq = bodySchema<ProjectReq>({
  type: 'object',
  additionalProperties: false,
  properties: {
    project_name: { type: 'string', minLength: 1, maxLength: 255, nullable: true },
    public: { type: 'boolean', nullable: true },
    metadata: {
      type: 'object',
      additionalProperties: false,
      nullable: true,
      required: [],
      properties: {
        public: flag,
        auto_scan: flag,
        prevent_vul: flag,
        severity: { type: 'string', enum: ['none', 'low', 'medium', 'high', 'critical'], nullable: true },
        enable_content_trust: flag,
        enable_content_trust_cosign: flag,
        reuse_sys_cve_allowlist: flag,
        // Berth: the TrustPolicy document pulls are verified against when signature enforcement is on.
        trust_policy: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', nullable: true },
      },
    },
    // Bytes, -1 unlimited (0: the configured default, as in Harbor); proxy-cache registries arrive with a later issue.
    storage_limit: { type: 'integer', minimum: -1, maximum: Number.MAX_SAFE_INTEGER, nullable: true },
    registry_id: { type: 'integer', nullable: true },
    cve_allowlist: { ...allowlistSchema, nullable: true },
  },
} as unknown as JSONSchemaType<ProjectReq>);
