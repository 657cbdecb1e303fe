import { errorFromResponse, networkError } from './errors.ts';
import { basicAuth, type Endpoint } from './endpoint.ts';
import { nameInProject, projectOf } from './image-ref.ts';
import { vulnerabilityReportMediaType, type AppliedPolicy, type Approval, type Artifact, type CurrentUser, type Finding, type GateCheck, type PromoteAnswer, type PullSecret, type Robot, type RobotCreated, type RobotPermission, type ScanSummary } from './api-types.ts';

/** Harbor's artifact path: the repository name inside its project is URL-encoded twice (it may contain `/`). */
export function artifactPath(repository: string, reference: string): string {
  return `/projects/${encodeURIComponent(projectOf(repository))}/repositories/${encodeURIComponent(encodeURIComponent(nameInProject(repository)))}/artifacts/${encodeURIComponent(reference)}`;
}

interface CallOptions {
  body?: unknown;
  /** Send the body as it is with this content type (YAML policy documents). */
  raw?: { text: string; type: string };
  query?: Record<string, string | number | boolean | undefined>;
}

/**
 * Berth's management API (`/api/v2.0`, Harbor's where Harbor has the resource) with Basic credentials. Each method
 * answers the parsed body or throws a ClientError whose kind says network, auth, policy, not-found or invalid.
 */
export class BerthApi {
  constructor(readonly endpoint: Endpoint) {}

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const url = new URL(`${this.endpoint.url}/api/v2.0${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.endpoint.credentials) headers.authorization = basicAuth(this.endpoint.credentials);
    if (this.endpoint.userAgent) headers['user-agent'] = this.endpoint.userAgent;
    let body: string | undefined;
    if (options.raw) {
      headers['content-type'] = options.raw.type;
      body = options.raw.text;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body });
    } catch (err) {
      throw networkError(url.toString(), err);
    }
    if (!res.ok) throw await errorFromResponse(res, `${method} ${url.pathname}`);
    const text = await res.text();
    if (!text) return undefined as T;
    return (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as T) : (text as T);
  }

  currentUser(): Promise<CurrentUser> {
    return this.call('GET', '/users/current');
  }

  artifact(repository: string, reference: string): Promise<Artifact> {
    return this.call('GET', artifactPath(repository, reference), { query: { with_tag: true, with_label: true, with_scan_overview: true, with_signature: true, with_immutable_status: true, with_accessory: true } });
  }

  /** Promotes `repository:tag` or `repository@digest` to the next stage or `to`; a refusal throws a policy error whose detail lists the gates. */
  promote(req: { artifact: string; to?: string; tags?: string[]; dryRun?: boolean }): Promise<PromoteAnswer> {
    return this.call<PromoteAnswer | (Record<string, unknown> & { id: number })>('POST', '/promotions', { body: { artifact: req.artifact, to: req.to, tags: req.tags, dry_run: req.dryRun } }).then((body) =>
      'status' in body && (body.status === 'noop' || body.status === 'dry-run') ? (body as PromoteAnswer) : { status: 'promoted', promotion: body as never },
    );
  }

  /** The deploy check: the gates of `stage` (default: the artifact's own) evaluated now; nothing is recorded. */
  gate(repository: string, reference: string, stage?: string): Promise<GateCheck> {
    return this.call('POST', `${artifactPath(repository, reference)}/gate`, { body: { stage } });
  }

  /** Asks for a scan (202: it runs as a job); `scanSummary` follows it. */
  async scan(repository: string, reference: string): Promise<void> {
    await this.call('POST', `${artifactPath(repository, reference)}/scan`);
  }

  /** The state of the artifact's newest scan and its digest; no summary when it was never scanned. */
  async scanSummary(repository: string, reference: string): Promise<{ digest: string; summary?: ScanSummary }> {
    const a = await this.call<Artifact & { scan_overview?: Record<string, ScanSummary> }>('GET', artifactPath(repository, reference), { query: { with_scan_overview: true } });
    return { digest: a.digest, summary: a.scan_overview?.[vulnerabilityReportMediaType] };
  }

  /** The findings of the artifact's newest finished scan (empty when it has none). */
  async findings(repository: string, reference: string): Promise<Finding[]> {
    const body = await this.call<Record<string, { vulnerabilities?: Finding[] }>>('GET', `${artifactPath(repository, reference)}/additions/vulnerabilities`);
    return body?.[vulnerabilityReportMediaType]?.vulnerabilities ?? [];
  }

  approve(repository: string, reference: string, req: { stage?: string; comment?: string }): Promise<Approval> {
    return this.call('POST', `${artifactPath(repository, reference)}/approvals`, { body: req });
  }

  approvals(repository: string, reference: string, stage?: string): Promise<Approval[]> {
    return this.call('GET', `${artifactPath(repository, reference)}/approvals`, { query: { stage } });
  }

  listRobots(filter: { projectId?: number; level?: 'system' | 'project' } = {}): Promise<Robot[]> {
    const q = [filter.level ? `Level=${filter.level}` : '', filter.projectId ? `ProjectID=${filter.projectId}` : ''].filter(Boolean).join(',');
    return this.call('GET', '/robots', { query: { q: q || undefined, page_size: 100 } });
  }

  createRobot(req: { name: string; description?: string; level: 'system' | 'project'; duration: number; permissions: RobotPermission[] }): Promise<RobotCreated> {
    return this.call('POST', '/robots', { body: req });
  }

  deleteRobot(id: number): Promise<void> {
    return this.call('DELETE', `/robots/${id}`);
  }

  project(nameOrId: string): Promise<{ project_id: number; name: string }> {
    return this.call('GET', `/projects/${encodeURIComponent(nameOrId)}`);
  }

  pullSecret(project: string, req: { namespace?: string; name?: string; service_account?: string; duration?: number }): Promise<PullSecret> {
    return this.call('POST', `/projects/${encodeURIComponent(project)}/pull-secrets`, { body: req });
  }

  /** Applies one policy document (YAML or JSON text); unchanged content writes nothing (`created: false`). */
  applyPolicy(text: string, type: 'application/yaml' | 'application/json' = 'application/yaml'): Promise<AppliedPolicy> {
    return this.call('PUT', '/policies', { raw: { text, type } });
  }
}
