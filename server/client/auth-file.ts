import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Credentials } from './endpoint.ts';

/**
 * Registry credentials in the docker/containers auth file format (`{"auths": {"host:port": {"auth":
 * base64(user:password)}}}`), which docker, podman, buildah, skopeo, helm and oras all read, so one `berth login`
 * serves every tool. Other keys in the file (credHelpers, proxies, ...) are kept as they are.
 */
export interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

/** The file `berth login` writes: `--authfile`, else $REGISTRY_AUTH_FILE (containers tools), else docker's config.json. */
export function authFileForWrite(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  return path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker'), 'config.json');
}

/** The files credentials are looked up in, in the order the containers tools use. */
export function authFilesForRead(explicit?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [explicit];
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker'), 'config.json'));
  return files;
}

export async function readAuthFile(file: string): Promise<AuthFile> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as AuthFile;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`${file} is not a valid auth file: ${(err as Error).message}`);
  }
}

export function decodeAuth(entry: NonNullable<AuthFile['auths']>[string] | undefined): Credentials | undefined {
  if (!entry) return undefined;
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? { username: text.slice(0, colon), password: text.slice(colon + 1) } : undefined;
}

/** The credentials stored for a registry host, from the first file that has them. */
export async function lookupCredentials(host: string, files: string[]): Promise<Credentials | undefined> {
  for (const file of files) {
    const auths = (await readAuthFile(file)).auths ?? {};
    const found = decodeAuth(auths[host] ?? auths[`https://${host}`] ?? auths[`http://${host}`]);
    if (found) return found;
  }
  return undefined;
}

/** Writes (or, with undefined, removes) a host's entry; the file is written whole through a temporary name, mode 0600. */
export async function storeCredentials(file: string, host: string, credentials: Credentials | undefined): Promise<boolean> {
  const content = await readAuthFile(file);
  const auths = { ...(content.auths ?? {}) };
  const had = host in auths;
  if (credentials) auths[host] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  else delete auths[host];
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, `${JSON.stringify({ ...content, auths }, null, '\t')}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return had;
}
