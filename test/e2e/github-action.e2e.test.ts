import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineFixture, repoRoot, runCommand, type PipelineFixture } from '../helpers/pipeline-fixture.ts';
import { adminPassword } from '../helpers/test-server.ts';

interface Recorded {
  method: string;
  url: string;
  body: Record<string, unknown>;
  authorization?: string;
}

/** Stands in for GitHub's REST API (which cannot be reached here): records each call and answers as GitHub does. */
async function fakeGitHub(): Promise<{ url: string; calls: Recorded[]; close(): Promise<void> }> {
  const calls: Recorded[] = [];
  let nextId = 100;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      calls.push({ method: req.method!, url: req.url!, body, authorization: req.headers.authorization });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: nextId++, ...body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

/**
 * The Action's bundled entry point (actions/github/dist/index.mjs, what the runner executes) run as GitHub runs it:
 * inputs as INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, against a real Berth, and a local
 * stand-in for api.github.com that records the deployment, deployment status and commit status calls.
 */
describe('the GitHub Action against a running Berth', () => {
  let fx: PipelineFixture;
  let gh: Awaited<ReturnType<typeof fakeGitHub>>;
  let work: string;
  let layout: string;
  let digest = '';

  async function runAction(inputs: Record<string, string>): Promise<{ code: number; outputs: Record<string, string>; summary: string; log: string }> {
    const dir = await mkdtemp(path.join(work, 'step-'));
    const outputFile = path.join(dir, 'output');
    const summaryFile = path.join(dir, 'summary');
    await writeFile(outputFile, '');
    await writeFile(summaryFile, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: fx.home,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: sha,
      GITHUB_RUN_ID: '42',
      'INPUT_SERVER': fx.url,
      'INPUT_USERNAME': 'admin',
      'INPUT_PASSWORD': adminPassword,
      'INPUT_DRY-RUN': 'false',
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    };
    const r = await runCommand(process.execPath, [path.join(repoRoot, 'actions/github/dist/index.mjs')], { env });
    const outputs: Record<string, string> = {};
    // GITHUB_OUTPUT's multiline form: name<<DELIMITER, value lines, DELIMITER.
    const text = await readFile(outputFile, 'utf8');
    for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
    return { code: r.code, outputs, summary: await readFile(summaryFile, 'utf8'), log: r.stdout + r.stderr };
  }

  beforeAll(async () => {
    fx = await pipelineFixture('gha');
    gh = await fakeGitHub();
    work = await mkdtemp(path.join(os.tmpdir(), 'berth-gha-'));
    // The image to push: an OCI layout pulled by the CLI from a seed image.
    await fx.pushImage('gha-dev/seed', '1');
    layout = path.join(work, 'layout');
    const pulled = await fx.berth(['pull', 'gha-dev/seed:1', layout, '--progress', 'none']);
    expect(pulled.code, pulled.stderr).toBe(0);
  }, 150_000);

  afterAll(async () => {
    await gh?.close();
    await fx?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('push uploads the layout and sets digest and image; the password never reaches the log', async () => {
    const r = await runAction({ command: 'push', image: 'gha-dev/app:1.0', source: `oci:${layout}:1` });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    digest = r.outputs.digest!;
    expect(r.outputs.image).toBe(`${fx.host}/gha-dev/app@${digest}`);
    expect((await fx.registry.request('HEAD', `/v2/gha-dev/app/manifests/1.0`)).headers.get('docker-content-digest')).toBe(digest);
    expect(r.summary).toContain('Berth push');
    expect(r.log).toContain(`::add-mask::${adminPassword}`);
    expect(r.log.replace(`::add-mask::${adminPassword}`, '')).not.toContain(adminPassword);
  });

  it('promote moves the image to test and records a GitHub deployment with a success status', async () => {
    gh.calls.length = 0;
    const r = await runAction({ command: 'promote', image: 'gha-dev/app:1.0', 'github-token': 'ghs_testtoken' });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.promoted).toBe('true');
    expect(r.outputs.digest).toBe(digest);
    expect(r.outputs.image).toBe(`${fx.host}/gha-test/app@${digest}`);
    expect(JSON.parse(r.outputs['gate-report']!)).toEqual([expect.objectContaining({ type: 'labels', stage: 'test', passed: true })]);
    expect(r.summary).toContain('<table>');
    expect(r.summary).toContain('labels');
    expect(gh.calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /repos/acme/shop/deployments', 'POST /repos/acme/shop/deployments/100/statuses']);
    expect(gh.calls[0]!.authorization).toBe('token ghs_testtoken');
    expect(gh.calls[0]!.body).toMatchObject({ ref: sha, environment: 'test', required_contexts: [], auto_merge: false });
    expect(JSON.parse(gh.calls[0]!.body.payload as string)).toMatchObject({ digest });
    expect(gh.calls[1]!.body).toMatchObject({ state: 'success', environment: 'test', log_url: 'https://github.com/acme/shop/actions/runs/42' });
  });

  it('a refused promotion fails the step with the failed gate, and the deployment status says failure', async () => {
    gh.calls.length = 0;
    const r = await runAction({ command: 'promote', image: `gha-test/app@${digest}`, tags: '1.0', 'github-token': 'ghs_testtoken' });
    expect(r.code).toBe(1);
    expect(r.log).toMatch(/::error::promotion \d+ of gha-test\/app@sha256:[a-f0-9]+ to prod refused: prod\/labels: missing required label qa-passed/);
    expect(r.outputs.promoted).toBe('false');
    expect(r.summary).toContain('missing required label qa-passed');
    expect(gh.calls.map((c) => c.url)).toEqual(['/repos/acme/shop/deployments', expect.stringMatching(/^\/repos\/acme\/shop\/deployments\/\d+\/statuses$/)]);
    expect(gh.calls[1]!.body).toMatchObject({ state: 'failure', environment: 'prod' });
  });

  it('gate sets the commit status berth/gate: failure while a gate fails, success once it passes', async () => {
    gh.calls.length = 0;
    let r = await runAction({ command: 'gate', image: `gha-test/app@${digest}`, stage: 'prod', 'github-token': 'ghs_testtoken' });
    expect(r.code).toBe(1);
    expect(r.log).toContain('missing required label qa-passed');
    expect(gh.calls).toHaveLength(1);
    expect(gh.calls[0]!.url).toBe(`/repos/acme/shop/statuses/${sha}`);
    expect(gh.calls[0]!.body).toMatchObject({ state: 'failure', context: 'berth/gate' });

    await fx.label('gha-test/app', digest, 'qa-passed');
    gh.calls.length = 0;
    r = await runAction({ command: 'gate', image: `gha-test/app@${digest}`, stage: 'prod', 'github-token': 'ghs_testtoken' });
    expect(r.code, r.log).toBe(0);
    expect(JSON.parse(r.outputs['gate-report']!)).toEqual([expect.objectContaining({ stage: 'prod', passed: true })]);
    expect(gh.calls[0]!.body).toMatchObject({ state: 'success', context: 'berth/gate' });
  });

  it('scan waits for the report, sets scan-report, lists the findings and fails at fail-on', async () => {
    await fx.pushVulnerableImage('gha-dev/scanme', '1', 'CVE-2026-5001');
    let r = await runAction({ command: 'scan', image: 'gha-dev/scanme:1' });
    expect(r.code, r.log).toBe(0);
    expect(JSON.parse(r.outputs['scan-report']!)).toMatchObject({ status: 'Success', severity: 'Critical', summary: { total: 1, fixable: 1 }, scanner: { name: 'Berth' } });
    expect(r.summary).toContain('CVE-2026-5001');
    r = await runAction({ command: 'scan', image: 'gha-dev/scanme:1', 'fail-on': 'high' });
    expect(r.code).toBe(1);
    expect(r.log).toMatch(/::error::gha-dev\/scanme@sha256:[a-f0-9]{64}: 1 vulnerability at or above high, the worst Critical CVE-2026-5001 in minimist 1\.2\.5/);
    r = await runAction({ command: 'scan', image: 'gha-dev/scanme:1', 'fail-on': 'severe' });
    expect(r.log).toContain('fail-on must be one of low, medium, high, critical');
  });

  it('bad inputs and bad credentials fail the step with a clear reason', async () => {
    let r = await runAction({ command: 'deploy', image: 'gha-dev/app:1.0' });
    expect(r.code).toBe(1);
    expect(r.log).toContain('command must be one of push, promote, gate, scan');
    r = await runAction({ command: 'push', image: 'gha-dev/app:1.0' });
    expect(r.log).toContain('command push needs the source input');
    r = await runAction({ command: 'gate', image: 'gha-test/app:1.0', password: 'wrong' });
    expect(r.code).toBe(1);
    expect(r.log).toMatch(/::error::auth error: .*401/);
  });
});
