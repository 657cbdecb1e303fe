import type { BerthConfig } from './config/config.schema.ts';
import type { Logger } from './core/logger.ts';
import type { Database } from './db/database.ts';
import type { StorageDriver } from './storage/driver.ts';
import { BlobStore } from './storage/blob-store.ts';
import { UploadStore } from './storage/upload-store.ts';
import { BasicAuthenticator } from './auth/basic-auth.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { ProjectsService } from './projects/projects.service.ts';
import { MembersService } from './projects/members.service.ts';
import { AccessPolicy } from './auth/access.ts';
import { EventBus } from './events/event-bus.ts';
import { RobotsService } from './robots/robots.service.ts';
import { TokenService } from './auth/token.service.ts';
import { loadSigningKey } from './auth/token-keys.ts';
import { UsersService } from './users/users.service.ts';
import { BlobService } from './registry/blob.service.ts';
import { CatalogService } from './registry/catalog.service.ts';
import { ManifestService } from './registry/manifest.service.ts';
import { RegistryCache } from './registry/registry-cache.ts';
import { UploadSweeper } from './registry/upload-sweeper.ts';
import { BufferPool } from './http/send-file.ts';
import { JobQueue } from './jobs/job-queue.ts';
import { CacheInvalidation } from './events/cache-invalidation.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { loadSecretBox, type SecretBox } from './core/secret-box.ts';
import { AuditRecorder } from './audit/audit-recorder.ts';
import { AuditService } from './audit/audit.service.ts';
import { PullStats } from './artifacts/pull-stats.ts';
import { SettingsService } from './settings/settings.service.ts';
import { WebhooksService } from './webhooks/webhooks.service.ts';
import { DeliveriesService } from './webhooks/deliveries.service.ts';
import { ArtifactConfigReader } from './artifacts/artifact-config.ts';
import { ArtifactsService } from './artifacts/artifacts.service.ts';
import { CopyService } from './artifacts/copy.service.ts';
import { RepositoriesService } from './artifacts/repositories.service.ts';
import { LabelsService } from './labels/labels.service.ts';
import { SearchService } from './search/search.service.ts';
import { QuotaService } from './quotas/quotas.service.ts';
import { ImmutabilityService } from './immutability/immutability.service.ts';
import { SignatureService } from './signing/signature.service.ts';
import { PoliciesService } from './policy/policies.service.ts';
import { ReportStore } from './scanning/report-store.ts';
import { AllowlistsService } from './scanning/allowlists.service.ts';
import { GateEvaluator, type PromotionPorts } from './promotion/gate-evaluator.ts';
import { PromotionService } from './promotion/promotion.service.ts';
import { ApprovalsService } from './promotion/approvals.service.ts';
import { PullGuard } from './promotion/pull-guard.ts';
import { ScanOverviews } from './scanning/scan-overview.ts';
import { BuiltinScanner } from './scanning/scanners/builtin-scanner.ts';
import { ScannersService } from './scanning/scanners/scanners.service.ts';
import { ScanService } from './scanning/scan.service.ts';
import { SbomService } from './scanning/sbom/sbom.service.ts';
import { AdvisoryImporter } from './scanning/advisories/advisory-import.ts';
import { AdvisoriesService, advisoryRefreshType } from './scanning/advisories/advisories.service.ts';
import type { TokenService as TokenServiceType } from './auth/token.service.ts';

/** Everything the HTTP layer and background work need, built once from config, database and storage. */
export interface Services {
  config: Readonly<BerthConfig>;
  log: Logger;
  events: EventBus;
  db: Database;
  storage: StorageDriver;
  basic: BasicAuthenticator;
  projects: ProjectsService;
  members: MembersService;
  access: AccessPolicy;
  tokens: TokenService;
  robots: RobotsService;
  users: UsersService;
  blobs: BlobService;
  manifests: ManifestService;
  catalog: CatalogService;
  uploadSweeper: UploadSweeper;
  readBuffers: BufferPool;
  jobs: JobQueue;
  scheduler: Scheduler;
  /** Cache invalidation across the nodes that share a PostgreSQL database. */
  cluster: CacheInvalidation;
  secrets: SecretBox;
  audit: AuditRecorder;
  auditLog: AuditService;
  pullStats: PullStats;
  settings: SettingsService;
  webhooks: WebhooksService;
  webhookDeliveries: DeliveriesService;
  labels: LabelsService;
  artifacts: ArtifactsService;
  repositories: RepositoriesService;
  copies: CopyService;
  search: SearchService;
  quotas: QuotaService;
  immutability: ImmutabilityService;
  /** Finds and verifies the signatures of an artifact against a trust policy. */
  signatures: SignatureService;
  /** Versioned policy documents (trust policies, promotion ladders). */
  policies: PoliciesService;
  /** Vulnerability reports by digest (Harbor's v1.1 format). */
  reports: ReportStore;
  allowlists: AllowlistsService;
  promotions: PromotionService;
  approvals: ApprovalsService;
  /** Pull enforcement on manifest GET/HEAD. */
  pullGuard: PullGuard;
  /** Reads image configs (artifact details, SBOM times). */
  artifactConfigs: ArtifactConfigReader;
  /** Scanner registrations (built-in and adapters). */
  scanners: ScannersService;
  scans: ScanService;
  sboms: SbomService;
  /** The OSV advisory database. */
  advisories: AdvisoriesService;
  /** Where this process serves the registry, once it listens (scanner adapters pull from it). */
  endpoint: { internalUrl: string };
}

/** The composition root: wires services together without global state, so tests build as many as they like. */
export function createServices(config: Readonly<BerthConfig>, log: Logger, db: Database, storage: StorageDriver): Services {
  const blobStore = new BlobStore(storage);
  const uploadStore = new UploadStore(storage, blobStore);
  // One invalidation feed for every per-process cache; it talks to other nodes only on PostgreSQL.
  const cluster = new CacheInvalidation(db.kind === 'postgres' ? config.database.url : undefined, log);
  const cache = new RegistryCache(config.registry.manifestCacheBytes, cluster);
  const events = new EventBus(log);
  const jobs = new JobQueue(db.knex, events, log, {
    pollMs: config.jobs.pollMs,
    leaseMs: config.jobs.leaseSeconds * 1000,
    concurrency: config.jobs.concurrency,
  });
  const scheduler = new Scheduler(db.knex, jobs, log, config.jobs.scheduleReloadSeconds * 1000);
  const settings = new SettingsService(db.knex, config, events, log, cluster);
  const projects = new ProjectsService(db.knex, events, () => settings.get('storage_per_project'), cluster);
  const quotas = new QuotaService(db.knex, events, config.quota.warningPercent, cluster);
  const immutability = new ImmutabilityService(db.knex, events, cluster);
  const members = new MembersService(db.knex, events, cluster);
  const basic = new BasicAuthenticator(
    db.knex,
    events,
    new LoginThrottle({
      maxFailures: config.auth.maxFailedLogins,
      lockoutMs: config.auth.lockoutMinutes * 60_000,
      failureDelayMs: config.auth.failureDelayMs,
    }),
  );
  // Verified credentials are dropped everywhere when a password, a robot's secret or an account changes.
  cluster.register('credentials', () => basic.clear());
  const credentialsChanged = (): void => cluster.invalidate('credentials', '*');
  const access = new AccessPolicy(members);
  const secrets = loadSecretBox(config.dataDir, config.secretKeyFile);
  const robots = new RobotsService(db.knex, config.auth.robotNamePrefix, projects, access, events, credentialsChanged);
  basic.robots = robots;
  const core = {
    config,
    robots,
    log,
    db,
    storage,
    basic,
    projects,
    members,
    access,
    tokens: new TokenService(loadSigningKey(config.dataDir, config.token.privateKeyFile), config.token, projects, access),
    users: new UsersService(db.knex, events, config.auth.robotNamePrefix, credentialsChanged),
    events,
    blobs: new BlobService(db.knex, blobStore, uploadStore, cache, log, quotas),
    manifests: new ManifestService(db.knex, cache, events, quotas, immutability),
    catalog: new CatalogService(db.knex, projects, access),
    readBuffers: new BufferPool(config.registry.readBufferBytes),
    uploadSweeper: new UploadSweeper(uploadStore, config.registry.uploadTtlMinutes * 60_000, log),
    jobs,
    scheduler,
    cluster,
    quotas,
    immutability,
    audit: new AuditRecorder(db.knex, log, config.audit.pullAggregationMs),
    auditLog: new AuditService(db.knex, projects, members, access),
    pullStats: new PullStats(db.knex, log, config.registry.pullStatsFlushMs),
    settings,
    secrets,
    webhooks: new WebhooksService(db.knex, secrets, events, { timeoutSeconds: config.webhooks.defaultTimeoutSeconds, maxAttempts: config.webhooks.defaultMaxAttempts }, cluster),
    webhookDeliveries: new DeliveriesService(db.knex, jobs),
  };
  const reports = new ReportStore(db.knex, events);
  const artifactSide = artifactServices(core, db, blobStore, reports);
  const promotionSide = promotionServices({ ...core, ...artifactSide }, db, blobStore, reports);
  return { ...core, ...artifactSide, ...promotionSide, ...scanningServices({ ...core, ...artifactSide }, db, blobStore, reports) };
}

/** Scanners, scans, SBOMs and the advisory database. */
function scanningServices(
  core: Pick<Services, 'config' | 'events' | 'log' | 'jobs' | 'secrets' | 'tokens' | 'blobs' | 'manifests'>,
  db: Database,
  blobStore: BlobStore,
  reports: ReportStore,
) {
  const endpoint = { internalUrl: '' };
  const builtin = new BuiltinScanner(db.knex, blobStore, { maxLayerBytes: core.config.scanning.maxLayerBytes });
  const scanners = new ScannersService(db.knex, core.secrets, builtin, (repository, internal) => registryGrant(core.tokens, core.config, endpoint, repository, internal));
  return {
    endpoint,
    scanners,
    scans: new ScanService(db.knex, reports, scanners, core.jobs, core.events, core.log, core.config.scanning.maxAttempts),
    sboms: new SbomService(db.knex, core.blobs, blobStore, core.manifests),
    advisories: new AdvisoriesService(db.knex, new AdvisoryImporter(db.knex, core.events, core.log), core.jobs, core.config.scanning.advisorySources, advisoryRefreshType),
  };
}

/** Where an adapter pulls from, and a pull-only token for the one repository, valid for the adapter's scan. */
function registryGrant(tokens: TokenServiceType, config: Readonly<BerthConfig>, endpoint: { internalUrl: string }, repository: string, internal: boolean) {
  const url = (internal ? endpoint.internalUrl || config.externalUrl : config.externalUrl || endpoint.internalUrl) || `http://127.0.0.1:${config.port}`;
  return { url, authorization: `Bearer ${tokens.issueScannerToken(repository, config.scanning.adapterTokenMinutes * 60).token}` };
}

/** Policies, reports, allowlists, signatures and what is built on them: promotion, approvals and pull enforcement. */
function promotionServices(
  core: Pick<Services, 'events' | 'log' | 'projects' | 'members' | 'labels' | 'manifests' | 'copies' | 'immutability' | 'access' | 'cluster'>,
  db: Database,
  blobStore: BlobStore,
  reports: ReportStore,
) {
  const policies = new PoliciesService(db.knex, core.events, core.projects, core.cluster, async (name) =>
    (await db.knex('projects').whereRaw("metadata->>'trust_policy' = ?", [name]).orderBy('name').pluck('name')) as string[],
  );
  const allowlists = new AllowlistsService(db.knex, core.events, core.projects, core.cluster);
  const signatures = new SignatureService(db.knex, blobStore, core.log);
  const ports: PromotionPorts = {
    ladderFor: (project) => policies.ladderFor(project),
    ladder: (name) => policies.ladder(name),
    trustPolicy: (name) => policies.trustPolicy(name),
    latestReport: (digest) => reports.latest(digest),
    signatures,
  };
  const gates = new GateEvaluator(db.knex, ports, core.projects, core.members, core.labels, (projectId) => allowlists.effective(projectId));
  const promotions = new PromotionService(db.knex, ports, gates, core.projects, core.manifests, core.copies, core.immutability, core.events);
  return {
    signatures,
    policies,
    reports,
    allowlists,
    promotions,
    approvals: new ApprovalsService(db.knex, promotions, core.projects, core.access, core.events),
    pullGuard: new PullGuard(db.knex, ports, (projectId) => allowlists.effective(projectId), core.cluster),
  };
}

/** The management API's artifact side (repositories, artifacts, labels, copies, search), over the registry services. */
function artifactServices(core: Pick<Services, 'events' | 'manifests' | 'blobs' | 'projects' | 'access' | 'immutability' | 'quotas'>, db: Database, blobStore: BlobStore, reports: ReportStore) {
  const labels = new LabelsService(db.knex, core.events);
  const artifactConfigs = new ArtifactConfigReader(blobStore);
  const artifacts = new ArtifactsService(db.knex, core.manifests, labels, artifactConfigs, {
    immutableTags: (projectId, repository, tags) => core.immutability.immutableTags(projectId, repository, tags),
    scanOverview: new ScanOverviews(reports),
  });
  const repositories = new RepositoriesService(db.knex, artifacts, core.events);
  return {
    labels,
    artifactConfigs,
    artifacts,
    repositories,
    copies: new CopyService(db.knex, core.manifests, core.blobs, core.quotas),
    search: new SearchService(db.knex, core.projects, repositories, core.access),
  };
}
