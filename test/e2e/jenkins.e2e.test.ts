import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berthBin, pipelineFixture, repoRoot, runCommand, type PipelineFixture } from '../helpers/pipeline-fixture.ts';
import { adminPassword } from '../helpers/test-server.ts';

interface StepRun {
  code: number;
  result?: any;
  error?: string;
  log: string;
}

/**
 * The Jenkins shared library's vars/ steps run by jenkins/test/harness.groovy (plain Groovy standing in for
 * Jenkins: sh, withCredentials, usernamePassword, error, echo, readFile, writeFile) against a running Berth,
 * with the real CLI as the `cli`.
 */
describe('the Jenkins shared library against a running Berth', () => {
  let fx: PipelineFixture;
  let work: string;
  let layout: string;
  let digest = '';
  const cli = `${process.execPath} ${berthBin}`;

  async function runStep(step: string, args: Record<string, unknown>): Promise<StepRun> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: fx.home,
      HARNESS_USERNAME: 'admin',
      HARNESS_PASSWORD: adminPassword,
    };
    const r = await runCommand('groovy', [path.join(repoRoot, 'jenkins/test/harness.groovy'), step, JSON.stringify({ cli, server: fx.url, credentialsId: 'berth-robot', ...args })], {
      env,
      cwd: work,
    });
    const log = r.stdout + r.stderr;
    const resultLine = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const errorLine = r.stdout.split('\n').find((l) => l.startsWith('ERROR '));
    return { code: r.code, result: resultLine ? JSON.parse(resultLine.slice('RESULT '.length)) : undefined, error: errorLine?.slice('ERROR '.length), log };
  }

  beforeAll(async () => {
    fx = await pipelineFixture('jk');
    work = await mkdtemp(path.join(os.tmpdir(), 'berth-jenkins-'));
    await fx.pushImage('jk-dev/seed', '1');
    layout = path.join(work, 'layout');
    const pulled = await fx.berth(['pull', 'jk-dev/seed:1', layout, '--progress', 'none']);
    expect(pulled.code, pulled.stderr).toBe(0);
  }, 150_000);

  afterAll(async () => {
    await fx?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('berthPush pushes an OCI layout and returns the digest; the password never reaches the log', async () => {
    const r = await runStep('berthPush', { source: `oci:${layout}:1`, image: 'jk-dev/app:1.0' });
    expect(r.code, r.log).toBe(0);
    expect(r.result.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    digest = r.result.digest;
    expect(r.result.imageWithDigest).toContain(`jk-dev/app@${digest}`);
    expect((await fx.registry.request('HEAD', '/v2/jk-dev/app/manifests/1.0')).headers.get('docker-content-digest')).toBe(digest);
    expect(r.log).not.toContain(adminPassword);
  }, 60_000);

  it('berthPromote promotes to test and returns promoted and the digest', async () => {
    const r = await runStep('berthPromote', { image: 'jk-dev/app:1.0', to: 'test' });
    expect(r.code, r.log).toBe(0);
    expect(r.result.promoted).toBe(true);
    expect(r.result.digest).toBe(digest);
    expect(r.result.to).toBe('test');
    expect(r.result.gates).toEqual([expect.objectContaining({ type: 'labels', passed: true })]);
    expect((await fx.registry.request('HEAD', '/v2/jk-test/app/manifests/1.0')).headers.get('docker-content-digest')).toBe(digest);
  }, 60_000);

  it('berthPromote to prod is refused: error() names the failed labels gate', async () => {
    const r = await runStep('berthPromote', { image: `jk-test/app@${digest}`, to: 'prod', tags: ['1.0'] });
    expect(r.code, r.log).toBe(1);
    expect(r.result).toBeUndefined();
    expect(r.error).toMatch(/^Berth gate refused promotion of jk-test\/app@sha256:[a-f0-9]+ to prod: labels \(prod\): missing required label qa-passed/);
    expect((await fx.registry.request('HEAD', '/v2/jk-prod/app/manifests/1.0')).status).toBe(404);
  }, 60_000);

  it('berthGate for prod fails before the label and passes after it', async () => {
    const refused = await runStep('berthGate', { image: `jk-test/app@${digest}`, stage: 'prod' });
    expect(refused.code, refused.log).toBe(1);
    expect(refused.error).toContain('missing required label qa-passed');
    await fx.label('jk-test/app', digest, 'qa-passed');
    const r = await runStep('berthGate', { image: `jk-test/app@${digest}`, stage: 'prod' });
    expect(r.code, r.log).toBe(0);
    expect(r.result.passed).toBe(true);
    expect(r.result.digest).toBe(digest);
    expect(r.result.gates).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'labels', passed: true })]));
  }, 60_000);

  it('berthScan returns the report and fails the build at failOn', async () => {
    await fx.pushVulnerableImage('jk-dev/scanme', '1', 'CVE-2026-7001');
    const r = await runStep('berthScan', { image: 'jk-dev/scanme:1' });
    expect(r.code, r.log).toBe(0);
    expect(r.result).toMatchObject({ failed: false, severity: 'Critical', summary: { total: 1 } });
    expect(r.result.vulnerabilities[0]).toMatchObject({ id: 'CVE-2026-7001', package: 'minimist', fix_version: '1.2.6' });
    const refused = await runStep('berthScan', { image: 'jk-dev/scanme:1', failOn: 'high' });
    expect(refused.code, refused.log).toBe(1);
    expect(refused.error).toBe('Berth scan of jk-dev/scanme:1: 1 at or above high, the worst Critical CVE-2026-7001 in minimist 1.2.5');
  }, 60_000);

  it('berthPullSecret returns a dockerconfigjson Secret with an auths entry for the registry, and writes it to a file', async () => {
    const r = await runStep('berthPullSecret', { project: 'jk-prod', namespace: 'shop', file: 'pull-secret.json' });
    expect(r.code, r.log).toBe(0);
    expect(r.result.secret.kind).toBe('Secret');
    expect(r.result.secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(r.result.namespace).toBe('shop');
    expect(r.result.robot.name).toBeTruthy();
    const config = JSON.parse(Buffer.from(r.result.secret.data['.dockerconfigjson'], 'base64').toString('utf8'));
    expect(Object.keys(config.auths)).toContain(fx.host);
    const written = JSON.parse(await readFile(path.join(work, 'pull-secret.json'), 'utf8'));
    expect(written).toEqual(r.result.secret);
  }, 60_000);

  it('a step reports a CLI failure (unknown credentials) through error() with the CLI message', async () => {
    const r = await runCommand('groovy', [path.join(repoRoot, 'jenkins/test/harness.groovy'), 'berthGate', JSON.stringify({ cli, server: fx.url, credentialsId: 'x', image: `jk-test/app@${digest}` })], {
      env: { PATH: process.env.PATH, HOME: fx.home, HARNESS_USERNAME: 'admin', HARNESS_PASSWORD: 'wrong-password' },
      cwd: work,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERROR berth gate failed \(exit 4\): /m);
  }, 60_000);
});
