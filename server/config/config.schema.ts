/**
 * The single configuration schema: types, defaults and validation in one place. Unknown keys are rejected so a
 * typo stops start-up instead of being silently ignored.
 */
export interface BerthConfig {
  /** TCP port the HTTP server listens on. */
  port: number;
  /** Address to bind. */
  host: string;
  /** Where embedded state lives: the PGlite database, blobs, uploads and keys. */
  dataDir: string;
  /** Public base URL (scheme://host[:port]) used in absolute links; derived from the request when empty. */
  externalUrl: string;
  database: {
    /** `postgres://...` selects PostgreSQL; empty selects the embedded PGlite database under dataDir. */
    url: string;
    /** Maximum PostgreSQL connections in the pool. */
    poolMax: number;
  };
  /** Password for the `admin` user created on first start; a random one is printed when empty. */
  adminPassword: string;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  auth: {
    /** Failed logins for one account before its logins are refused for `lockoutMinutes` (five times as many per address). */
    maxFailedLogins: number;
    lockoutMinutes: number;
    /** Added to the answer of each failed login after the third (capped at ten times this). */
    failureDelayMs: number;
    /** Whether anyone may create an account (POST /api/v2.0/users without credentials). */
    selfRegistration: boolean;
    /** Who may create projects: every signed-in user, or system administrators only. */
    projectCreationRestriction: 'everyone' | 'adminonly';
    /** Prefix of robot account names. Harbor's is `robot$`; the default avoids `$`, which shells and CI mangle. */
    robotNamePrefix: string;
  };
  token: {
    /** The `service` (audience) of registry tokens. */
    service: string;
    /** Lifetime of issued tokens. */
    ttlMinutes: number;
    /** PEM file with the EC P-256 signing key; empty: `<dataDir>/keys/token-signing.pem`, generated on first start. */
    privateKeyFile: string;
  };
  storage: {
    driver: 'filesystem';
    filesystem: { rootDirectory: string };
  };
  /**
   * Key file for secrets Berth must read back (webhook secrets and auth headers): AES-256-GCM, 32 bytes in
   * base64. Empty: `<dataDir>/keys/secret.key`, generated on first start. Nodes sharing a database share it.
   */
  secretKeyFile: string;
  jobs: {
    /** Run job workers in this process (turn off on API-only nodes; schedules still fire from workers elsewhere). */
    workers: boolean;
    /** Jobs one process runs at once. */
    concurrency: number;
    /** How often an idle worker looks for due jobs enqueued by other processes. */
    pollMs: number;
    /** A running job's lease: a job whose worker died is taken over this long after its last renewal. */
    leaseSeconds: number;
    /** Finished jobs (succeeded, dead, cancelled) are kept this long in the history, then purged. */
    retentionDays: number;
    /** How often each process re-reads the schedules (changes made through another process). */
    scheduleReloadSeconds: number;
  };
  quota: {
    /** Storage limit of a new project in bytes when its creation does not set one; -1 is unlimited. */
    defaultStorageLimit: number;
    /** Percentage of the limit at which a QUOTA_WARNING event is sent. */
    warningPercent: number;
  };
  audit: {
    /** Entries older than this are removed by the purge schedule (Harbor's audit_retention_hour). */
    retentionHours: number;
    /** When the purge runs (cron, seconds first allowed); changeable through /api/v2.0/system/purgeaudit/schedule. */
    purgeCron: string;
    /** Pulls by one operator, address and artifact within this window are one entry with a count. */
    pullAggregationMs: number;
  };
  webhooks: {
    /** Per-request timeout of a policy that does not set one. */
    defaultTimeoutSeconds: number;
    /** Attempts per delivery of a policy that does not set its own (the first included). */
    defaultMaxAttempts: number;
    /** Wait before the second attempt of a delivery; each further wait is three times the previous one. */
    retryInitialDelayMs: number;
    /** Longest wait between two attempts. */
    retryMaxDelayMs: number;
  };
  registry: {
    /** Manifests larger than this are refused (the spec suggests at least 4 MiB). */
    maxManifestBytes: number;
    /** Uploads idle for longer than this are removed. */
    uploadTtlMinutes: number;
    /** How often the stale upload sweeper runs. */
    uploadSweepMinutes: number;
    /** Read buffer for streaming blobs; 64 KiB halves pull throughput, 1-4 MiB keeps up with the disk. */
    readBufferBytes: number;
    /** Size of the in-memory manifest cache (content-addressed, never stale). */
    manifestCacheBytes: number;
    /** Pull counts and times are summed in memory and written this often (never on the pull path). */
    pullStatsFlushMs: number;
  };
  scanning: {
    /**
     * OSV advisory bundles imported by the refresh job: directories of `.json` files, `.tar`/`.tar.gz` archives,
     * or `http(s)://` URLs of such archives (an offline bundle on an internal mirror for air-gapped installs).
     */
    advisorySources: string[];
    /** When the advisory refresh runs (cron, seconds first allowed); empty: only on demand. */
    advisoryRefreshCron: string;
    /** Rescan every artifact after an advisory import that changed the database. */
    rescanOnAdvisoryUpdate: boolean;
    /** Scan all artifacts on this schedule (Harbor's scan-all); empty: never. Changeable through the API. */
    scanAllCron: string;
    /** The most one layer may decompress to; a layer that expands further fails its scan. */
    maxLayerBytes: number;
    /** Attempts per scan job (the first included). */
    maxAttempts: number;
    /** A scan taking longer than this fails (and is retried). */
    timeoutSeconds: number;
    /** Lifetime of the pull-only token handed to an external scanner adapter. */
    adapterTokenMinutes: number;
  };
}

export const configJsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 5000 },
    host: { type: 'string', default: '0.0.0.0' },
    dataDir: { type: 'string', minLength: 1, default: './data' },
    externalUrl: { type: 'string', default: '', pattern: '^(|https?://[^/\\s]+)$' },
    database: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', default: '', pattern: '^(|postgres(ql)?://.*)$' },
        poolMax: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
      },
    },
    adminPassword: { type: 'string', default: '' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxFailedLogins: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
        lockoutMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 15 },
        failureDelayMs: { type: 'integer', minimum: 0, maximum: 10000, default: 200 },
        selfRegistration: { type: 'boolean', default: false },
        projectCreationRestriction: { enum: ['everyone', 'adminonly'], default: 'everyone' },
        robotNamePrefix: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9$_.-]+$', default: 'robot-' },
      },
    },
    token: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        service: { type: 'string', minLength: 1, default: 'berth-registry', pattern: '^[^",\\s]+$' },
        ttlMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 30 },
        privateKeyFile: { type: 'string', default: '' },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        driver: { enum: ['filesystem'], default: 'filesystem' },
        filesystem: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { rootDirectory: { type: 'string', default: '' } },
        },
      },
    },
    secretKeyFile: { type: 'string', default: '' },
    jobs: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        workers: { type: 'boolean', default: true },
        concurrency: { type: 'integer', minimum: 1, maximum: 256, default: 8 },
        pollMs: { type: 'integer', minimum: 10, maximum: 60000, default: 1000 },
        leaseSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 60 },
        retentionDays: { type: 'integer', minimum: 1, maximum: 3650, default: 14 },
        scheduleReloadSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 30 },
      },
    },
    quota: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultStorageLimit: { type: 'integer', minimum: -1, default: -1 },
        warningPercent: { type: 'integer', minimum: 1, maximum: 100, default: 85 },
      },
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        retentionHours: { type: 'integer', minimum: 1, maximum: 876000, default: 2160 },
        purgeCron: { type: 'string', minLength: 9, default: '0 0 3 * * *' },
        pullAggregationMs: { type: 'integer', minimum: 0, maximum: 3600000, default: 1000 },
      },
    },
    webhooks: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 300, default: 10 },
        defaultMaxAttempts: { type: 'integer', minimum: 1, maximum: 50, default: 6 },
        retryInitialDelayMs: { type: 'integer', minimum: 10, maximum: 3600000, default: 10000 },
        retryMaxDelayMs: { type: 'integer', minimum: 10, maximum: 86400000, default: 1800000 },
      },
    },
    registry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxManifestBytes: { type: 'integer', minimum: 1024, maximum: 67108864, default: 4194304 },
        uploadTtlMinutes: { type: 'integer', minimum: 1, default: 1440 },
        uploadSweepMinutes: { type: 'integer', minimum: 1, default: 60 },
        readBufferBytes: { type: 'integer', minimum: 16384, maximum: 16777216, default: 4194304 },
        manifestCacheBytes: { type: 'integer', minimum: 0, default: 67108864 },
        pullStatsFlushMs: { type: 'integer', minimum: 10, maximum: 3600000, default: 5000 },
      },
    },
    scanning: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        advisorySources: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
        advisoryRefreshCron: { type: 'string', default: '0 0 4 * * *' },
        rescanOnAdvisoryUpdate: { type: 'boolean', default: false },
        scanAllCron: { type: 'string', default: '' },
        maxLayerBytes: { type: 'integer', minimum: 1048576, default: 8589934592 },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 20, default: 3 },
        timeoutSeconds: { type: 'integer', minimum: 5, maximum: 86400, default: 1800 },
        adapterTokenMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 30 },
      },
    },
  },
} as const;
