import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { berthBin, pipelineFixture, repoRoot, runCommand, type PipelineFixture } from '../helpers/pipeline-fixture.ts';
import { adminPassword } from '../helpers/test-server.ts';

interface Template {
  inputs: Record<string, { default?: string; description?: string }>;
  body: string;
}

const templatesDir = path.join(repoRoot, 'actions/gitlab/templates');

/** A component template: its `spec:` header document and the job document after `---`, kept as text for interpolation. */
async function loadTemplate(name: string): Promise<Template> {
  const text = await readFile(path.join(templatesDir, `${name}.yml`), 'utf8');
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  expect(list).toHaveLength(2);
  const spec = list[0]!.toJS() as { spec: { inputs: Template['inputs'] } };
  return { inputs: spec.spec.inputs, body: text.slice(text.indexOf('\n---\n') + 5) };
}

/** GitLab's `$[[ inputs.x ]]` interpolation: a given value, else the default; an input with neither is an error. */
function interpolate(t: Template, given: Record<string, string>): Record<string, { script: string[] }> {
  const text = t.body.replace(/\$\[\[\s*inputs\.([\w-]+)\s*\]\]/g, (_m, name: string) => {
    const spec = t.inputs[name];
    if (!spec) throw new Error(`input ${name} is used but not declared`);
    const value = given[name] ?? spec.default;
    if (value === undefined) throw new Error(`input ${name} has no value and no default`);
    return value;
  });
  return parseAllDocuments(text)[0]!.toJS() as Record<string, { script: string[] }>;
}

/**
 * The GitLab CI/CD component: each template parsed (every input it uses declared), interpolated as GitLab does,
 * and its job's script lines run with bash in a project directory, with GitLab's predefined variables, the masked
 * credentials a project would set, and a dotenv report handed from job to job, against a running Berth.
 */
describe('GitLab CI/CD component templates against a running Berth', () => {
  let fx: PipelineFixture;
  let work: string;
  let project: string;
  let dotenv: Record<string, string> = {};
  const sha = 'c0ffee0000000000000000000000000000000001';

  async function runJob(name: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
    const jobs = interpolate(await loadTemplate(name), inputs);
    const [jobName, job] = Object.entries(jobs)[0]!;
    const script = job.script.join('\n');
    const bin = path.join(work, 'bin');
    const r = await runCommand('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: project,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: fx.home,
        CI: 'true',
        GITLAB_CI: 'true',
        CI_COMMIT_SHA: sha,
        CI_PROJECT_DIR: project,
        CI_JOB_NAME: jobName,
        BERTH_SERVER: fx.url,
        BERTH_USERNAME: 'admin',
        BERTH_PASSWORD: adminPassword,
        ...dotenv,
        ...extraEnv,
      },
    });
    return { ...r, jobName, job };
  }

  beforeAll(async () => {
    fx = await pipelineFixture('gl');
    work = await mkdtemp(path.join(os.tmpdir(), 'berth-gitlab-'));
    project = path.join(work, 'project');
    await mkdir(path.join(work, 'bin'), { recursive: true });
    // The job image's `berth`: the CLI of this checkout.
    await writeFile(path.join(work, 'bin', 'berth'), `#!/bin/sh\nexec "${process.execPath}" "${berthBin}" "$@"\n`, { mode: 0o755 });
    await fx.pushImage('gl-dev/seed', '1');
    const pulled = await fx.berth(['pull', 'gl-dev/seed:1', path.join(project, 'image'), '--progress', 'none']);
    expect(pulled.code, pulled.stderr).toBe(0);
  }, 150_000);

  afterAll(async () => {
    await fx?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('every template declares the inputs it uses, and documents each one', async () => {
    for (const file of await readdir(templatesDir)) {
      const t = await loadTemplate(file.replace(/\.yml$/, ''));
      for (const [name, spec] of Object.entries(t.inputs)) expect(spec.description, `${file}: ${name}`).toBeTruthy();
      for (const m of t.body.matchAll(/\$\[\[\s*inputs\.([\w-]+)\s*\]\]/g)) expect(Object.keys(t.inputs), file).toContain(m[1]);
    }
  });

  it('push uploads the layout under the commit SHA and hands on the digest in a dotenv report', async () => {
    const r = await runJob('push', { image: 'gl-dev/app' });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.job).toMatchObject({ stage: 'build', artifacts: { reports: { dotenv: 'berth.env' } } });
    const env = Object.fromEntries((await readFile(path.join(project, 'berth.env'), 'utf8')).trim().split('\n').map((l) => l.split('=') as [string, string]));
    expect(env.BERTH_DIGEST).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(env.BERTH_IMAGE).toBe(`${fx.host}/gl-dev/app@${env.BERTH_DIGEST}`);
    const head = await fx.registry.request('HEAD', `/v2/gl-dev/app/manifests/${sha}`);
    expect(head.headers.get('docker-content-digest')).toBe(env.BERTH_DIGEST);
    dotenv = env;
  });

  it('promote moves the handed-on digest to test', async () => {
    const r = await runJob('promote', { image: 'gl-dev/app', to: 'test' });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/promoted gl-dev\/app@sha256:[a-f0-9]+ from dev to test/);
    expect((await fx.registry.request('HEAD', `/v2/gl-test/app/manifests/${dotenv.BERTH_DIGEST}`)).status).toBe(200);
  });

  it('the gate for prod fails the job with the failed gate until it passes; then promote to prod promotes', async () => {
    let r = await runJob('gate', { image: 'gl-test/app' }, { CI_ENVIRONMENT_NAME: 'prod' });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/prod\s+labels\s+FAIL\s+missing required label qa-passed/);

    await fx.label('gl-test/app', dotenv.BERTH_DIGEST!, 'qa-passed');
    r = await runJob('gate', { image: 'gl-test/app' }, { CI_ENVIRONMENT_NAME: 'prod' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('PASSED: gates of stage prod');

    r = await runJob('promote', { image: 'gl-test/app', 'target-tag': '1.0.0' }, { CI_ENVIRONMENT_NAME: 'prod' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('from test to prod');
    const head = await fx.registry.request('HEAD', '/v2/gl-prod/app/manifests/1.0.0');
    expect(head.headers.get('docker-content-digest')).toBe(dotenv.BERTH_DIGEST);
  });

  it('scan prints the findings and fails the job at fail-on', async () => {
    await fx.pushVulnerableImage('gl-dev/scanme', sha, 'CVE-2026-6001');
    let r = await runJob('scan', { image: 'gl-dev/scanme' }, { BERTH_DIGEST: '' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Critical\s+CVE-2026-6001\s+minimist\s+1\.2\.5\s+1\.2\.6/);
    r = await runJob('scan', { image: 'gl-dev/scanme', 'fail-on': 'critical' }, { BERTH_DIGEST: '' });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('1 at or above critical');
  });

  it('a wrong password fails the job with the auth exit code', async () => {
    const r = await runJob('gate', { image: 'gl-test/app', 'berth-stage': 'prod' }, { BERTH_PASSWORD: 'wrong' });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('401');
  });
});
