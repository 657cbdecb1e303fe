import type { Knex } from 'knex';
import type { BerthConfig } from '../config/config.schema.ts';
import { BerthError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import { CacheInvalidation, type Invalidator } from '../events/cache-invalidation.ts';
import { operatorName, type Operator } from '../core/actor.ts';

/** Settings an administrator may change at run time, by their Harbor names. */
export interface RuntimeSettings {
  project_creation_restriction: 'everyone' | 'adminonly';
  self_registration: boolean;
  /** Storage limit of a new project that does not set one, in bytes (-1: unlimited). */
  storage_per_project: number;
  /** Webhooks on or off for the whole registry. */
  notification_enable: boolean;
  /** Shown in the portal's header. */
  banner_message: string;
}

export type SettingKey = keyof RuntimeSettings;

/** Each setting's check; the config file supplies the defaults. */
const checks: { [K in SettingKey]: (v: unknown) => v is RuntimeSettings[K] } = {
  project_creation_restriction: (v): v is 'everyone' | 'adminonly' => v === 'everyone' || v === 'adminonly',
  self_registration: (v): v is boolean => typeof v === 'boolean',
  storage_per_project: (v): v is number => Number.isSafeInteger(v) && (v as number) >= -1,
  notification_enable: (v): v is boolean => typeof v === 'boolean',
  banner_message: (v): v is string => typeof v === 'string' && v.length <= 4096,
};

export const settingKeys = Object.keys(checks) as SettingKey[];

function defaults(config: Readonly<BerthConfig>): RuntimeSettings {
  return {
    project_creation_restriction: config.auth.projectCreationRestriction,
    self_registration: config.auth.selfRegistration,
    storage_per_project: config.quota.defaultStorageLimit,
    notification_enable: true,
    banner_message: '',
  };
}

/**
 * Run-time settings over the config file's defaults, stored in the database so every node sees one value. Reads
 * come from memory (loaded at start, reloaded when another node reports a change); changes are validated,
 * written in one transaction and announced as `config.updated` for the audit log.
 */
export class SettingsService {
  private values: RuntimeSettings;

  constructor(
    private readonly db: Knex,
    private readonly config: Readonly<BerthConfig>,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly cluster: Invalidator = CacheInvalidation.local(),
  ) {
    this.values = defaults(config);
    // Another node changed a setting: read them all again.
    cluster.register('settings', () => {
      this.load().catch((err: unknown) => this.log.warn({ err }, 'settings could not be reloaded'));
    });
  }

  get<K extends SettingKey>(key: K): RuntimeSettings[K] {
    return this.values[key];
  }

  all(): Readonly<RuntimeSettings> {
    return this.values;
  }

  /** Reads the stored values; a stored value that no longer passes its check is ignored (and logged). */
  async load(): Promise<void> {
    const rows = await this.db('settings').select<Array<{ key: string; value: unknown }>>('key', 'value');
    const next: RuntimeSettings = defaults(this.config);
    for (const { key, value } of rows) {
      if (!(key in checks)) continue;
      if (checks[key as SettingKey](value)) (next as unknown as Record<string, unknown>)[key] = value;
      else this.log.warn({ key }, 'ignoring an invalid stored setting');
    }
    this.values = next;
  }

  /** Applies changes to known, editable settings; anything else is refused with the keys named. */
  async update(changes: Record<string, unknown>, operator: Operator): Promise<string[]> {
    const keys = Object.keys(changes);
    const unknown = keys.filter((k) => !(k in checks));
    if (unknown.length) throw new BerthError('BAD_REQUEST', `these settings cannot be changed here: ${unknown.slice(0, 10).join(', ')}`);
    for (const k of keys as SettingKey[]) {
      if (!checks[k](changes[k])) throw new BerthError('BAD_REQUEST', `invalid value for ${k}`);
    }
    if (keys.length === 0) return [];
    await this.db.transaction(async (trx) => {
      for (const k of keys) {
        await trx('settings')
          .insert({ key: k, value: JSON.stringify(changes[k]), updated_by: operatorName(operator).slice(0, 255) })
          .onConflict('key')
          .merge({ value: JSON.stringify(changes[k]), updated_by: operatorName(operator).slice(0, 255), updated_at: trx.fn.now() });
      }
    });
    await this.load();
    this.cluster.announce('settings', '*');
    this.events.emit('config.updated', operator, { keys });
    return keys;
  }
}
