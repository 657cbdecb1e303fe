import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BerthProcess } from '../helpers/berth-process.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { OciTestClient, sha256 } from '../helpers/oci-client.ts';

export { sha256 };

/**
 * Helpers for the real-client end-to-end suite: every tool (skopeo, podman, buildah, umoci, docker) runs as a
 * child process inside a per-file sandbox directory that holds its auth file, registries.conf, storage.conf,
 * containers.conf, signature policy, docker config, HOME and TMPDIR, so no global configuration or credentials are
 * used. What stays global when running as root: the containers/image blob-info cache
 * (/var/lib/containers/cache/blob-info-cache-v1.boltdb; the cross-repository mount relies on it) and the empty
 * /run/containers/networks directory podman 4.3 creates (its location is not configurable there).
 */

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const acceptAll = Object.values(mediaTypes).join(', ');

/** The Debian packages the suite needs; named in the error when a tool is missing. */
export const requiredTools: Record<string, string> = {
  skopeo: 'skopeo',
  podman: 'podman',
  buildah: 'buildah',
  umoci: 'umoci',
  docker: 'docker CLI (docker-ce-cli or docker.io; only `docker manifest` is used, no daemon)',
};

export interface ToolResult {
  stdout: string;
  stderr: string;
}

export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

const credentialFlags = new Set(['--creds', '--src-creds', '--dest-creds']);

/** Runs a command; rejects with a ToolError carrying the command line, exit code, stdout and stderr. */
export function runTool(command: string, args: string[], options: RunOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 45_000, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        const line = [command, ...args.map((a, i) => (credentialFlags.has(args[i - 1] ?? '') ? '***' : a))].join(' ');
        const why = e.code === 'ENOENT' ? `${command} is not installed (${requiredTools[command] ?? command})` : e.killed ? 'timed out' : `exit ${e.code}`;
        reject(new ToolError(`${line}\n  -> ${why}\n  stdout: ${stdout.trim()}\n  stderr: ${stderr.trim()}`, e.code ?? null, stdout, stderr));
      },
    );
  });
}

/** A containers-storage root in the sandbox: `build` (buildah's images) or any other name (e.g. a fresh pull target). */
export type StorageName = string;

export interface ManifestResponse {
  status: number;
  digest: string | null;
  contentType: string | null;
  body: Buffer;
}

/**
 * The Berth a sandbox talks to: a real process (`startBerthProcess`), or an in-process test server seen through
 * `inProcessBerth` (for tests that need `server.services`, e.g. to put scan reports).
 */
export type SandboxTarget = Pick<BerthProcess, 'url' | 'host' | 'adminPassword'> & Partial<Pick<BerthProcess, 'child' | 'output'>>;

/** An in-process test server (listening on loopback) as a sandbox target. */
export function inProcessBerth(server: TestServer, adminPassword: string): SandboxTarget {
  return { url: server.url, host: new URL(server.url).host, adminPassword };
}

/** A per-test-file directory with isolated configuration for every tool, bound to one Berth. */
export class Sandbox {
  readonly host: string;
  readonly creds: string;
  readonly env: NodeJS.ProcessEnv;
  /** The registry as an admin client, for checks over plain HTTP. */
  readonly registry: OciTestClient;
  readonly policy: string;

  private constructor(
    readonly dir: string,
    readonly berth: SandboxTarget,
  ) {
    this.host = berth.host;
    this.creds = `admin:${berth.adminPassword}`;
    this.policy = this.path('policy.json');
    this.registry = new OciTestClient(berth.url, `Basic ${Buffer.from(this.creds).toString('base64')}`);
    this.env = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      HOME: this.path('home'),
      TMPDIR: this.path('tmp'),
      XDG_CONFIG_HOME: this.path('home/.config'),
      XDG_DATA_HOME: this.path('home/.local/share'),
      XDG_RUNTIME_DIR: this.path('xdg-run'),
      REGISTRY_AUTH_FILE: this.path('auth.json'),
      CONTAINERS_REGISTRIES_CONF: this.path('registries.conf'),
      CONTAINERS_STORAGE_CONF: this.path('storage.conf'),
      CONTAINERS_CONF: this.path('containers.conf'),
      // containers/image falls back to $DOCKER_CONFIG/config.json for credentials: only the docker CLI gets the
      // directory that holds them, so the other tools authenticate only through explicit flags.
      DOCKER_CONFIG: this.path('docker-empty'),
      // Only loopback is contacted; make sure no proxy from the environment is picked up.
      NO_PROXY: '*',
    };
  }

  static async create(name: string, berth: SandboxTarget): Promise<Sandbox> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `berth-e2e-${name}-`));
    const sb = new Sandbox(dir, berth);
    for (const d of ['home/.config', 'home/.local/share', 'tmp', 'xdg-run', 'docker', 'docker-empty', 'registries.d']) await mkdir(sb.path(d), { recursive: true });
    await writeFile(sb.path('auth.json'), JSON.stringify({ auths: {} }));
    await writeFile(sb.path('registries.conf'), 'unqualified-search-registries = []\nshort-name-mode = "disabled"\n');
    await writeFile(sb.path('storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${sb.path('storage-build')}"\nrunroot = "${sb.path('run-build')}"\n`);
    // netavark's config (and lock) would otherwise go to /etc/containers/networks.
    const containersConf = [
      '[engine]',
      'events_logger = "none"',
      'cgroup_manager = "cgroupfs"',
      `tmp_dir = "${sb.path('libpod')}"`,
      '[network]',
      `network_config_dir = "${sb.path('networks')}"`,
      '',
    ];
    await writeFile(sb.path('containers.conf'), containersConf.join('\n'));
    await writeFile(sb.policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const auth = Buffer.from(sb.creds).toString('base64');
    await writeFile(sb.path('docker/config.json'), JSON.stringify({ auths: { [sb.host]: { auth } } }));
    return sb;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** `docker://HOST/<repo>:<tag>` (or `@digest`). */
  ref(repoAndRef: string): string {
    return `docker://${this.host}/${repoAndRef}`;
  }

  /** Runs a tool in the sandbox; when it fails and Berth has died meanwhile, the error carries Berth's output. */
  async run(command: string, args: string[], options: RunOptions = {}): Promise<ToolResult> {
    try {
      return await runTool(command, args, { cwd: this.dir, ...options, env: { ...this.env, ...options.env } });
    } catch (err) {
      const { child, output } = this.berth;
      if (err instanceof ToolError && child && (child.exitCode !== null || child.signalCode !== null)) {
        err.message += `\n  berth exited (${child.exitCode ?? child.signalCode}); its output:\n${output?.().slice(-4000) ?? ''}`;
      }
      throw err;
    }
  }

  /** skopeo with this sandbox's signature policy, registries configuration and temp dir. */
  skopeo(args: string[], options?: RunOptions): Promise<ToolResult> {
    const isolation = ['--policy', this.policy, '--registries.d', this.path('registries.d'), '--registries-conf', this.path('registries.conf'), '--tmpdir', this.path('tmp')];
    return this.run('skopeo', [...isolation, ...args], options);
  }

  /** Credentials and TLS flags for a skopeo copy between two registry references. */
  get skopeoCopyFlags(): string[] {
    return ['--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', this.creds, '--dest-creds', this.creds];
  }

  private storageFlags(storage: StorageName): string[] {
    return ['--root', this.path(`storage-${storage}`), '--runroot', this.path(`run-${storage}`), '--storage-driver', 'vfs'];
  }

  /** buildah on the given containers-storage (vfs, private root and runroot). */
  buildah(args: string[], options: RunOptions & { storage?: StorageName } = {}): Promise<ToolResult> {
    return this.run('buildah', [...this.storageFlags(options.storage ?? 'build'), ...args], options);
  }

  /** podman on the given containers-storage, with libpod state, events and network config kept in the sandbox. */
  podman(args: string[], options: RunOptions & { storage?: StorageName } = {}): Promise<ToolResult> {
    const storage = options.storage ?? 'build';
    const flags = [
      ...this.storageFlags(storage),
      '--tmpdir', this.path(`libpod-${storage}`),
      '--events-backend', 'none',
      '--cgroup-manager', 'cgroupfs',
      '--network-config-dir', this.path('networks'),
    ];
    return this.run('podman', [...flags, ...args], options);
  }

  /** Flags for podman/buildah push and pull against Berth (plain HTTP, admin credentials, private policy). */
  get registryFlags(): string[] {
    return ['--tls-verify=false', '--creds', this.creds, '--signature-policy', this.policy];
  }

  umoci(args: string[], options?: RunOptions): Promise<ToolResult> {
    return this.run('umoci', args, options);
  }

  /** The docker CLI with the sandbox's DOCKER_CONFIG (credentials for the registry host); no daemon is used. */
  docker(args: string[], options?: RunOptions): Promise<ToolResult> {
    return this.run('docker', args, { ...options, env: { DOCKER_CONFIG: this.path('docker'), ...options?.env } });
  }

  /** GET (or HEAD) a manifest, accepting every manifest type Berth stores. */
  async manifest(repo: string, reference: string, opts: { method?: 'GET' | 'HEAD'; anonymous?: boolean } = {}): Promise<ManifestResponse> {
    const res = await this.registry.request(opts.method ?? 'GET', `/v2/${repo}/manifests/${reference}`, {
      headers: { accept: acceptAll },
      anonymous: opts.anonymous,
    });
    return {
      status: res.status,
      digest: res.headers.get('docker-content-digest'),
      contentType: res.headers.get('content-type'),
      body: Buffer.from(await res.arrayBuffer()),
    };
  }

  /** The parsed manifest of a reference that must exist. */
  async manifestJson<T = ImageManifest>(repo: string, reference: string): Promise<{ digest: string; contentType: string; json: T }> {
    const res = await this.manifest(repo, reference);
    if (res.status !== 200) throw new Error(`GET /v2/${repo}/manifests/${reference}: ${res.status} ${res.body.toString()}`);
    return { digest: res.digest!, contentType: res.contentType!, json: JSON.parse(res.body.toString()) as T };
  }

  async blobStatus(repo: string, digest: string): Promise<number> {
    const res = await this.registry.request('HEAD', `/v2/${repo}/blobs/${digest}`);
    return res.status;
  }

  async blobJson<T>(repo: string, digest: string): Promise<T> {
    const res = await this.registry.request('GET', `/v2/${repo}/blobs/${digest}`);
    if (res.status !== 200) throw new Error(`GET blob ${digest} in ${repo}: ${res.status}`);
    return (await res.json()) as T;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  rootfs: { type: string; diff_ids: string[] };
}

/** The manifest digest an OCI image layout's index.json names for a tag (`org.opencontainers.image.ref.name`). */
export async function layoutDigest(layout: string, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as ImageIndex;
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`tag ${tag} not in ${layout}/index.json: ${JSON.stringify(index)}`);
  return found.digest;
}

/** Reads a blob of an OCI image layout. */
export async function layoutBlob(layout: string, digest: string): Promise<Buffer> {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return readFile(path.join(layout, 'blobs', algorithm, hex));
}

export async function readDigestFile(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}

export interface UmociImageOptions {
  /** One map per layer: path inside the image -> file content. */
  layers: Array<Record<string, string>>;
  architecture?: string;
  os?: string;
}

/**
 * Builds a tiny image with umoci in an OCI layout (created when missing): `umoci new`, one `umoci insert` per
 * layer, then `umoci config` for the platform. Returns the manifest digest the layout names for the tag.
 */
export async function umociImage(sb: Sandbox, layout: string, tag: string, opts: UmociImageOptions): Promise<string> {
  const indexExists = await readFile(path.join(layout, 'index.json')).then(
    () => true,
    () => false,
  );
  if (!indexExists) await sb.umoci(['init', '--layout', layout]);
  await sb.umoci(['new', '--image', `${layout}:${tag}`]);
  const staging = await mkdtemp(path.join(sb.path('tmp'), 'layer-'));
  for (const [i, files] of opts.layers.entries()) {
    // A layer is inserted as one directory tree at the image root.
    const tree = path.join(staging, String(i));
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
      await writeFile(path.join(tree, file), content);
    }
    await sb.umoci(['insert', '--rootless', '--image', `${layout}:${tag}`, tree, '/']);
  }
  await sb.umoci(['config', '--image', `${layout}:${tag}`, '--architecture', opts.architecture ?? 'amd64', '--os', opts.os ?? 'linux']);
  await rm(staging, { recursive: true, force: true });
  return layoutDigest(layout, tag);
}

/** beforeAll budget: Berth's start-up (PGlite creation) can take tens of seconds on a busy two-core machine. */
export const startupTimeout = 150_000;

/** Fails early with the package list when a tool is missing, instead of every test failing on its own. */
export async function requireTools(...tools: string[]): Promise<void> {
  const missing: string[] = [];
  for (const tool of tools) {
    try {
      await runTool(tool, ['--version'], { timeoutMs: 20_000 });
    } catch {
      missing.push(requiredTools[tool] ?? tool);
    }
  }
  if (missing.length) throw new Error(`the e2e suite needs these tools installed: ${missing.join(', ')}`);
}
