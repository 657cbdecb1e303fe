import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { apiClient, type ApiCall } from './api-client.ts';
import { OciTestClient } from './oci-client.ts';
import { adminPassword, createTestServer, type TestServer } from './test-server.ts';
import { gzipLayer } from './layers.ts';
import { criticalVector, osvAdvisory, osvDirectory } from './osv.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const berthBin = path.join(repoRoot, 'bin', 'berth.mjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell), with stdin, capturing both streams; never rejects on a non-zero exit. */
export function runCommand(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A Berth for pipeline-plugin tests: in-process on an ephemeral port, with a three-stage ladder `<prefix>-dev ->
 * <prefix>-test -> <prefix>-prod` whose gates are labels (test: not `do-not-ship`; prod: `qa-passed` required),
 * so a test decides whether a gate passes by labelling the artifact. `env` is a clean environment for the CLI
 * (its own HOME, BERTH_SERVER, admin credentials), `berth()` runs the real CLI.
 */
export interface PipelineFixture {
  server: TestServer;
  url: string;
  host: string;
  api: ApiCall;
  registry: OciTestClient;
  stages: { dev: string; test: string; prod: string };
  home: string;
  env: NodeJS.ProcessEnv;
  berth(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult>;
  /** Pushes a small random image; answers its digest. */
  pushImage(repository: string, tag: string): Promise<string>;
  /**
   * Imports one Critical OSV advisory for npm `minimist` (fixed in 1.2.6) as `cve` and pushes an image holding
   * minimist 1.2.5: a scan of it finds exactly that vulnerability.
   */
  pushVulnerableImage(repository: string, tag: string, cve: string): Promise<void>;
  /** Puts a global label (created once) on an artifact. */
  label(repository: string, reference: string, name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function pipelineFixture(prefix: string): Promise<PipelineFixture> {
  const server = await createTestServer();
  const api = apiClient(server);
  const stages = { dev: `${prefix}-dev`, test: `${prefix}-test`, prod: `${prefix}-prod` };
  const ladder = {
    apiVersion: 'berth.dev/v1',
    kind: 'PromotionLadder',
    metadata: { name: prefix },
    spec: {
      stages: [
        { name: 'dev', project: stages.dev },
        { name: 'test', project: stages.test },
        { name: 'prod', project: stages.prod },
      ],
      transitions: [
        { to: 'test', gates: [{ type: 'labels', forbidden: ['do-not-ship'] }] },
        { to: 'prod', gates: [{ type: 'labels', required: ['qa-passed'] }] },
      ],
    },
  };
  const applied = await api('PUT', '/policies', stringify(ladder), undefined, { 'content-type': 'application/yaml' });
  if (applied.status !== 201) throw new Error(`ladder not applied: ${applied.status} ${await applied.text()}`);
  const home = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-home-'));
  const host = new URL(server.url).host;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: home,
    BERTH_SERVER: server.url,
    BERTH_USERNAME: 'admin',
    BERTH_PASSWORD: adminPassword,
  };
  const registry = new OciTestClient(server.url, server.adminAuth);
  const labelIds = new Map<string, number>();
  return {
    server,
    url: server.url,
    host,
    api,
    registry,
    stages,
    home,
    env,
    berth: (args, options = {}) => runCommand(process.execPath, [berthBin, ...args], { env: { ...env, ...options.env }, input: options.input }),
    pushImage: async (repository, tag) => (await registry.pushImage(repository, tag)).digest,
    pushVulnerableImage: async (repository, tag, cve) => {
      const dir = await osvDirectory([osvAdvisory({ id: cve, ecosystem: 'npm', name: 'minimist', fixed: '1.2.6', cvss: criticalVector })]);
      try {
        await server.services.advisories.import(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await registry.pushImage(repository, tag, { layers: [gzipLayer([{ path: 'srv/node_modules/minimist/package.json', content: JSON.stringify({ name: 'minimist', version: '1.2.5' }) }])] });
    },
    label: async (repository, reference, name) => {
      let id = labelIds.get(name);
      if (id === undefined) {
        const res = await api('POST', '/labels', { name, scope: 'g', color: '#00aa00' });
        if (res.status !== 201) throw new Error(`label ${name}: ${res.status} ${await res.text()}`);
        id = Number(res.headers.get('location')!.split('/').pop());
        labelIds.set(name, id);
      }
      const [project, ...rest] = repository.split('/');
      const res = await api('POST', `/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(rest.join('/')))}/artifacts/${reference}/labels`, { id });
      if (res.status !== 200) throw new Error(`labelling ${repository}@${reference}: ${res.status} ${await res.text()}`);
    },
    stop: async () => {
      await server.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
