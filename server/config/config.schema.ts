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
      },
    },
  },
} as const;
