import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The CLI's own state: the server `berth login` last signed in to (credentials live in the auth file, not here). */
export interface CliConfig {
  server?: string;
}

const home = (env: NodeJS.ProcessEnv): string => env.HOME ?? os.homedir();
export const configFile = (env: NodeJS.ProcessEnv): string => path.join(env.XDG_CONFIG_HOME ?? path.join(home(env), '.config'), 'berth', 'config.json');
export const blobCacheFile = (env: NodeJS.ProcessEnv): string => path.join(env.XDG_CACHE_HOME ?? path.join(home(env), '.cache'), 'berth', 'blob-locations.json');

async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export const readConfig = (env: NodeJS.ProcessEnv): Promise<CliConfig> => readJson(configFile(env), {});
export const writeConfig = (env: NodeJS.ProcessEnv, config: CliConfig): Promise<void> => writeJson(configFile(env), config);

type Locations = Record<string, Record<string, string[]>>;

const maxPerRegistry = 20_000;

/**
 * Where blobs were last seen on each registry (digest to repositories), so a push of a layer that another
 * repository holds mounts it instead of uploading: docker's and containers/image's blob-info cache, kept small.
 */
export class BlobLocations {
  private constructor(
    private readonly file: string,
    private readonly data: Locations,
  ) {}

  static async load(env: NodeJS.ProcessEnv): Promise<BlobLocations> {
    const file = blobCacheFile(env);
    return new BlobLocations(file, await readJson<Locations>(file, {}));
  }

  candidates(registry: string, digest: string): string[] {
    return this.data[registry]?.[digest] ?? [];
  }

  record(registry: string, repository: string, digests: string[]): void {
    const table = (this.data[registry] ??= {});
    for (const d of digests) table[d] = [repository, ...(table[d] ?? []).filter((r) => r !== repository)].slice(0, 3);
    const keys = Object.keys(table);
    // Oldest entries first out (insertion order), once over the cap.
    for (const k of keys.slice(0, Math.max(0, keys.length - maxPerRegistry))) delete table[k];
  }

  save(): Promise<void> {
    return writeJson(this.file, this.data).catch(() => undefined);
  }
}
