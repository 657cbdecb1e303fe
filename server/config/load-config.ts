import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { isValidCron } from '../jobs/cron.ts';
import { configJsonSchema, type BerthConfig } from './config.schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables that override the file, each mapped to its config key. */
const envKeys: Array<[string, string[], 'string' | 'int']> = [
  ['BERTH_PORT', ['port'], 'int'],
  ['BERTH_HOST', ['host'], 'string'],
  ['BERTH_DATA_DIR', ['dataDir'], 'string'],
  ['BERTH_EXTERNAL_URL', ['externalUrl'], 'string'],
  ['BERTH_ADMIN_PASSWORD', ['adminPassword'], 'string'],
  ['DATABASE_URL', ['database', 'url'], 'string'],
  ['BERTH_LOG_LEVEL', ['log', 'level'], 'string'],
];

function describe(err: ErrorObject): string {
  const at = err.instancePath ? err.instancePath.slice(1).replaceAll('/', '.') : '';
  if (err.keyword === 'additionalProperties') {
    const key = (err.params as { additionalProperty: string }).additionalProperty;
    return `unknown key "${at ? `${at}.` : ''}${key}"`;
  }
  return `"${at || '(root)'}" ${err.message ?? 'is invalid'}`;
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Validates a raw object (file contents plus environment overrides), fills defaults and freezes it. */
export function validateConfig(raw: unknown, source = 'config'): Readonly<BerthConfig> {
  const ajv = new Ajv({ useDefaults: true, allErrors: true });
  const validate = ajv.compile(configJsonSchema);
  const data = structuredClone(raw ?? {});
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map(describe).join('; ');
    throw new ConfigError(`invalid ${source}: ${problems}`);
  }
  const config = data as unknown as BerthConfig;
  if (!isValidCron(config.audit.purgeCron)) throw new ConfigError(`invalid ${source}: "audit.purgeCron" is not a valid cron expression`);
  config.dataDir = path.resolve(config.dataDir);
  if (!config.storage.filesystem.rootDirectory) {
    config.storage.filesystem.rootDirectory = path.join(config.dataDir, 'storage');
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Loads the config file (BERTH_CONFIG, or ./berth.yaml when present), applies environment overrides and validates.
 * YAML is a superset of JSON, so either format works.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<BerthConfig> {
  const file = env.BERTH_CONFIG ?? (existsSync('berth.yaml') ? 'berth.yaml' : undefined);
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`config file ${file} must hold a mapping`);
  }
  for (const [name, keys, kind] of envKeys) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (kind === 'int') {
      if (!/^\d+$/.test(value)) throw new ConfigError(`invalid environment: ${name} must be an integer, got "${value}"`);
      setPath(raw, keys, Number(value));
    } else {
      setPath(raw, keys, value);
    }
  }
  return validateConfig(raw, file ? `config file ${file}` : 'config');
}
