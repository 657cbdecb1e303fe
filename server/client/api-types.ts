/** The shapes of Berth's `/api/v2.0` answers the client reads (Harbor's where Harbor has them). */

export interface GateResult {
  type: string;
  stage: string;
  passed: boolean;
  reason: string;
  gate?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

export interface Promotion {
  id: number;
  ladder: string;
  ladder_version: number;
  status: 'pending' | 'promoted' | 'blocked';
  from: { stage: string; project: string; repository: string };
  to: { stage: string; project: string; repository: string };
  digest: string;
  tags: string[];
  operator: string;
  creation_time: string;
  gates: GateResult[];
}

export type PromoteAnswer =
  | { status: 'promoted'; promotion: Promotion }
  | { status: 'noop'; message: string; promotion: Promotion }
  | { status: 'dry-run'; allowed: boolean; ladder: { name: string; version: number }; from: string; to: string; digest: string; tags: string[]; gates: GateResult[] };

export interface GateCheck {
  allowed: boolean;
  ladder: { name: string; version: number };
  /** The stage the artifact is in. */
  at: string;
  stage: string;
  digest: string;
  gates: GateResult[];
}

export interface Approval {
  id: number;
  ladder: string;
  stage: string;
  digest: string;
  approver: string;
  comment: string | null;
  creation_time: string;
  revoked: boolean;
  promotion_id: number | null;
}

export interface RobotPermission {
  kind: 'project';
  namespace: string;
  access: Array<{ resource: string; action: string; effect?: string }>;
}

export interface Robot {
  id: number;
  name: string;
  description: string | null;
  level: 'system' | 'project';
  duration: number;
  disable: boolean;
  expires_at: number;
  permissions: RobotPermission[];
  creation_time: string;
}

export interface RobotCreated {
  id: number;
  name: string;
  secret: string;
  creation_time: string;
  expires_at: number;
}

export interface PullSecret {
  robot: { id: number; name: string; expires_at: number };
  secret: Record<string, unknown>;
  service_account_patch: Record<string, unknown>;
  kubectl_patch: string;
}

export interface AppliedPolicy {
  created: boolean;
  projects_created: string[];
  warnings: string[];
  policy: { kind: string; name: string; version: number; digest: string };
}

export interface CurrentUser {
  user_id: number;
  username: string;
  sysadmin_flag: boolean;
}

export interface Artifact {
  id: number;
  digest: string;
  media_type: string;
  manifest_media_type: string;
  size: number;
  push_time: string;
  type: string;
  tags: Array<{ name: string; immutable?: boolean }> | null;
  [key: string]: unknown;
}

/** Harbor's NativeReportSummary: the state of an artifact's newest scan. */
export interface ScanSummary {
  report_id: string;
  scan_status: 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';
  severity?: string;
  duration?: number;
  summary?: { total: number; fixable: number; summary: Record<string, number> };
  start_time?: string;
  end_time?: string;
  scanner?: { name: string; vendor: string; version: string };
}

/** One finding of Harbor's vulnerability report (v1.1). */
export interface Finding {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  description?: string;
  links?: string[];
}

/** The report media type the scan overview and the vulnerabilities addition are keyed by. */
export const vulnerabilityReportMediaType = 'application/vnd.security.vulnerability.report; version=1.1';
