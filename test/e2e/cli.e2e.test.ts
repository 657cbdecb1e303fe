import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pipelineFixture, runCommand, type PipelineFixture } from '../helpers/pipeline-fixture.ts';
import { adminPassword } from '../helpers/test-server.ts';
import { requireTools } from './tools.ts';

const json = <T>(text: string): T => JSON.parse(text) as T;

/**
 * The berth CLI end to end against a running Berth, with images made by real tools: an OCI layout built with umoci,
 * the same image as a `docker save` tarball (skopeo's docker-archive, what `docker save` writes) and an oci-archive;
 * pushed, pushed again (nothing uploaded), pulled back (skopeo reads the layout), copied, tagged, promoted through a
 * label-gated ladder with a refusal's exit code, gated, and a pull-secret whose auth file lets skopeo pull a
 * private image.
 */
describe('berth CLI end to end', () => {
  let fx: PipelineFixture;
  let work: string;
  let layout: string;
  const skopeo = (args: string[], env: NodeJS.ProcessEnv = {}) => runCommand('skopeo', ['--insecure-policy', '--tmpdir', path.join(work, 'tmp'), ...args], { env: { PATH: process.env.PATH, HOME: fx.home, ...env } });
  const umoci = (args: string[]) => runCommand('umoci', args, { env: { PATH: process.env.PATH, HOME: fx.home } });

  beforeAll(async () => {
    await requireTools('skopeo', 'umoci');
    fx = await pipelineFixture('cli');
    work = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-e2e-'));
    await mkdir(path.join(work, 'tmp'));
    layout = path.join(work, 'layout');
    const files = path.join(work, 'rootfs');
    await mkdir(path.join(files, 'app'), { recursive: true });
    await writeFile(path.join(files, 'app', 'hello.txt'), `hello from the cli test ${Date.now()}\n`);
    for (const args of [['init', '--layout', layout], ['new', '--image', `${layout}:v1`], ['insert', '--rootless', '--image', `${layout}:v1`, files, '/'], ['config', '--image', `${layout}:v1`, '--architecture', 'amd64', '--os', 'linux']]) {
      const r = await umoci(args);
      expect(r.code, r.stderr).toBe(0);
    }
    for (const target of [`docker-archive:${work}/saved.tar:cli-dev/app:v1`, `oci-archive:${work}/image.oci.tar:v1`]) {
      const r = await skopeo(['copy', `oci:${layout}:v1`, target]);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 150_000);

  afterAll(async () => {
    await fx?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('login checks the password from stdin and writes an auth file other tools read', async () => {
    const env = { BERTH_USERNAME: '', BERTH_PASSWORD: '', BERTH_SERVER: '' };
    let r = await fx.berth(['login', fx.url, '-u', 'admin', '--password-stdin'], { env, input: 'not-the-password\n' });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('401');
    r = await fx.berth(['login', fx.url, '-u', 'admin', '--password-stdin', '-o', 'json'], { env, input: `${adminPassword}\n` });
    expect(r.code, r.stderr).toBe(0);
    const authfile = json<{ authfile: string }>(r.stdout).authfile;
    const auths = json<{ auths: Record<string, { auth: string }> }>(await readFile(authfile, 'utf8')).auths;
    expect(Buffer.from(auths[fx.host]!.auth, 'base64').toString()).toBe(`admin:${adminPassword}`);
    // The remembered server and the auth file are enough now: no BERTH_* variables.
    r = await fx.berth(['robot', 'list', '-o', 'json'], { env });
    expect(r.code, r.stderr).toBe(0);
  });

  it('pushes a docker save tarball, an umoci OCI layout and an oci-archive; a second push uploads no blob', async () => {
    let r = await fx.berth(['push', `${work}/saved.tar`, 'cli-dev/app:saved', '-o', 'json', '--progress', 'plain']);
    expect(r.code, r.stderr).toBe(0);
    const saved = json<{ digest: string; blobs: { total: number; transferred: number } }>(r.stdout);
    expect(saved.blobs).toMatchObject({ total: 2, transferred: 2 });
    expect(r.stderr).toMatch(/push: 2 blobs/);

    r = await fx.berth(['push', layout, 'cli-dev/app:v1', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const pushed = json<{ digest: string; image: string; blobs: { total: number; transferred: number; existing: number; mounted: number } }>(r.stdout);
    const inLayout = json<{ manifests: Array<{ digest: string }> }>(await readFile(path.join(layout, 'index.json'), 'utf8')).manifests[0]!.digest;
    expect(pushed.digest).toBe(inLayout);
    expect(pushed.image).toBe(`${fx.host}/cli-dev/app:v1`);

    r = await fx.berth(['push', layout, 'cli-dev/app:v1', '-o', 'json']);
    expect(json<{ blobs: unknown; bytesTransferred: number }>(r.stdout)).toMatchObject({ blobs: { transferred: 0, mounted: 0, existing: 2 }, bytesTransferred: 0 });

    // Another repository: the layers are mounted from where the first push put them, not uploaded.
    r = await fx.berth(['push', `oci-archive:${work}/image.oci.tar`, 'cli-dev/other:v1', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ digest: string; blobs: unknown }>(r.stdout)).toMatchObject({ digest: inLayout, blobs: { transferred: 0, mounted: 2 } });

    r = await skopeo(['inspect', '--tls-verify=false', '--creds', `admin:${adminPassword}`, `docker://${fx.host}/cli-dev/app:saved`]);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ Digest: string }>(r.stdout).Digest).toBe(saved.digest);
  });

  it('pulls back into an OCI layout that skopeo reads; copies and tags', async () => {
    const out = path.join(work, 'pulled');
    let r = await fx.berth(['pull', 'cli-dev/app:v1', out, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    r = await skopeo(['inspect', `oci:${out}:v1`]);
    expect(r.code, r.stderr).toBe(0);
    const digest = json<{ Digest: string }>(r.stdout).Digest;
    expect(await readFile(path.join(out, 'blobs', 'sha256', digest.slice(7)))).toEqual(await readFile(path.join(layout, 'blobs', 'sha256', digest.slice(7))));

    r = await fx.berth(['copy', 'cli-dev/app:v1', `${fx.host}/cli-dev/copied:c1`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ digest: string; blobs: { mounted: number } }>(r.stdout)).toMatchObject({ digest, blobs: { mounted: 2 } });
    r = await fx.berth(['tag', 'cli-dev/copied:c1', 'c2', 'c3']);
    expect(r.code, r.stderr).toBe(0);
    r = await fx.berth(['inspect', 'cli-dev/copied:c3', '-o', 'json']);
    expect(json<{ digest: string; tags: string[] }>(r.stdout)).toMatchObject({ digest, tags: expect.arrayContaining(['c1', 'c2', 'c3']) });
  });

  it('promotes through the ladder: gate refusal exits 3 with the failed gate, then passes once labelled', async () => {
    let r = await fx.berth(['promote', 'cli-dev/app:v1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/promoted cli-dev\/app@sha256:[a-f0-9]+ from dev to test/);
    expect(r.stdout).toMatch(/test\s+labels\s+pass/);

    r = await fx.berth(['gate', 'cli-test/app:v1', '--stage', 'prod']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAILED: gates of stage prod/);
    expect(r.stdout).toMatch(/prod\s+labels\s+FAIL\s+missing required label qa-passed/);

    r = await fx.berth(['promote', 'cli-test/app:v1', '-o', 'json']);
    expect(r.code).toBe(3);
    const refused = json<{ status: string; gates: Array<{ passed: boolean; reason: string }> }>(r.stdout);
    expect(refused.status).toBe('refused');
    expect(refused.gates).toEqual([expect.objectContaining({ passed: false, reason: 'missing required label qa-passed' })]);

    const digest = json<{ digest: string }>((await fx.berth(['inspect', 'cli-test/app:v1', '-o', 'json'])).stdout).digest;
    await fx.label('cli-test/app', digest, 'qa-passed');
    r = await fx.berth(['promote', 'cli-test/app:v1', '--dry-run']);
    expect(r.code, r.stdout).toBe(0);
    r = await fx.berth(['promote', `cli-test/app@${digest}`, '--tag', '1.0.0', '-o', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json<{ promoted: boolean; image: string }>(r.stdout)).toMatchObject({ promoted: true, image: `${fx.host}/cli-prod/app@${digest}` });
    // The deploy check evaluates prod's gates on the artifact in prod, now: labels belong to each stage's artifact.
    r = await fx.berth(['gate', 'cli-prod/app:1.0.0']);
    expect(r.code).toBe(3);
    await fx.label('cli-prod/app', digest, 'qa-passed');
    r = await fx.berth(['gate', 'cli-prod/app:1.0.0', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(json<{ passed: boolean; stage: string }>(r.stdout)).toMatchObject({ passed: true, stage: 'prod' });
  });

  it('pull-secret output, decoded into an auth file, lets skopeo pull the private image', async () => {
    let r = await fx.berth(['pull-secret', 'cli-prod', '--namespace', 'shop']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('kubectl patch serviceaccount default -n shop');
    const secret = parse(r.stdout) as { kind: string; metadata: { namespace: string }; type: string; data: Record<string, string> };
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { namespace: 'shop' } });
    const authfile = path.join(work, 'k8s-auth.json');
    await writeFile(authfile, Buffer.from(secret.data['.dockerconfigjson']!, 'base64'));
    // Anonymous pulls of the private project fail; the secret's robot succeeds, and may not push.
    r = await skopeo(['inspect', '--tls-verify=false', '--no-creds', `docker://${fx.host}/cli-prod/app:1.0.0`]);
    expect(r.code).not.toBe(0);
    r = await skopeo(['copy', '--src-tls-verify=false', '--authfile', authfile, `docker://${fx.host}/cli-prod/app:1.0.0`, `oci:${work}/from-secret:x`]);
    expect(r.code, r.stderr).toBe(0);
    r = await skopeo(['copy', '--dest-tls-verify=false', '--authfile', authfile, `oci:${layout}:v1`, `docker://${fx.host}/cli-prod/app:sneaky`]);
    expect(r.code).not.toBe(0);
  });

  it('robot create/list/delete and apply -f are idempotent and scriptable', async () => {
    let r = await fx.berth(['robot', 'create', 'ci', '--project', 'cli-dev', '--access', 'repository:pull', '--access', 'repository:push', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const robot = json<{ name: string; secret: string }>(r.stdout);
    expect(robot.name).toMatch(/^robot.cli-dev\+ci$/);
    r = await fx.berth(['push', layout, 'cli-dev/app:robot'], { env: { BERTH_USERNAME: robot.name, BERTH_PASSWORD: robot.secret } });
    expect(r.code, r.stderr).toBe(0);
    r = await fx.berth(['robot', 'list', '--project', 'cli-dev', '-o', 'json']);
    expect(json<Array<{ name: string }>>(r.stdout).map((x) => x.name)).toContain(robot.name);
    r = await fx.berth(['robot', 'delete', robot.name]);
    expect(r.code, r.stderr).toBe(0);

    const dir = path.join(work, 'policies');
    await mkdir(dir);
    await writeFile(path.join(dir, 'ladder.yaml'), 'apiVersion: berth.dev/v1\nkind: PromotionLadder\nmetadata: {name: git-managed}\nspec:\n  stages:\n    - {name: a, project: git-a}\n    - {name: b, project: git-b}\n');
    r = await fx.berth(['apply', '-f', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('PromotionLadder/git-managed: applied as version 1');
    r = await fx.berth(['apply', '-f', dir, '-o', 'json']);
    expect(json<Array<{ result: string }>>(r.stdout)).toEqual([expect.objectContaining({ result: 'unchanged', version: 1 })]);
    await writeFile(path.join(dir, 'bad.yaml'), 'apiVersion: berth.dev/v1\nkind: PromotionLadder\nmetadata: {name: bad}\nspec: {stages: []}\n');
    r = await fx.berth(['apply', '-f', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('PromotionLadder/bad');
    expect(r.stdout).toContain('REFUSED');
  });

  it('errors: usage, network, auth and not-found each have their exit code and a clear message', async () => {
    let r = await fx.berth(['push', 'only-one-arg']);
    expect(r.code).toBe(2);
    r = await fx.berth(['inspect', '127.0.0.1:9/cli-dev/app:v1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('cannot reach http://127.0.0.1:9');
    r = await fx.berth(['inspect', 'cli-dev/app:missing']);
    expect(r.code).toBe(6);
    r = await fx.berth(['promote', 'cli-dev/app:v1'], { env: { BERTH_PASSWORD: 'wrong' } });
    expect(r.code).toBe(4);
    r = await fx.berth(['push', path.join(work, 'nothing-here'), 'cli-dev/app:x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file or directory');
    r = await fx.berth(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['login', 'push', 'pull', 'copy', 'tag', 'inspect', 'promote', 'gate', 'approve', 'pull-secret', 'apply']) {
      r = await fx.berth([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout).toContain(`Usage: berth ${c}`);
    }
  });
});
