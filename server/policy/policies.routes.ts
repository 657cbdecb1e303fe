import type Router from '@koa/router';
import type { Context } from 'koa';
import { parse as parseYaml } from 'yaml';
import { requireSysadmin, requireUser } from '../api/api-access.ts';
import { BerthError } from '../core/errors.ts';
import { actorOf } from '../http/actor.ts';
import { readLimitedBody } from '../http/body.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import type { PolicyKind } from './documents.ts';
import type { PoliciesService } from './policies.service.ts';
import { presentPolicy } from './policies.presenter.ts';
import { policyKinds } from './validate.ts';

export interface PolicyRouteDeps {
  policies: PoliciesService;
}

// A ladder with its gates and a trust policy with a few PEM keys are a few KiB; 256 KiB leaves room and no more.
const maxDocumentBytes = 256 * 1024;
const yamlTypes = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** `TrustPolicy`, or as a path segment in any case (`trustpolicy`). */
function kindParam(raw: string | undefined): PolicyKind {
  const kind = policyKinds.find((k) => k.toLowerCase() === (raw ?? '').toLowerCase());
  if (!kind) throw new BerthError('BAD_REQUEST', `kind must be one of ${policyKinds.join(', ')}`);
  return kind;
}

function nameParam(ctx: Context): string {
  const name = (ctx.params as Record<string, string>).name ?? '';
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new BerthError('BAD_REQUEST', 'name must be lower-case letters, digits and "-", at most 63 characters');
  return name;
}

/** The document in a JSON or YAML body (one document per request). */
async function readDocument(ctx: Context): Promise<unknown> {
  const raw = (await readLimitedBody(ctx.req, maxDocumentBytes)).toString('utf8');
  if (raw.trim() === '') throw new BerthError('BAD_REQUEST', 'the request body is empty; send a policy document');
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  try {
    if (yamlTypes.includes(type)) return parseYaml(raw, { maxAliasCount: 50, uniqueKeys: true });
    return JSON.parse(raw);
  } catch (err) {
    const what = yamlTypes.includes(type) ? 'YAML' : 'JSON (send YAML with Content-Type: application/yaml)';
    throw new BerthError('BAD_REQUEST', `the request body is not valid ${what}: ${String((err as Error).message).split('\n')[0]!.slice(0, 200)}`);
  }
}

/**
 * Berth's policy documents (`/api/v2.0/policies`): trust policies and promotion ladders, applied declaratively with
 * PUT (201 for a new version, 200 with `created: false` when nothing changed), versioned, readable by any signed-in
 * user (gates are no secret to the people they gate), written and deleted by system administrators.
 */
export function mountPolicyRoutes(router: Router, deps: PolicyRouteDeps): void {
  router.put('/policies', async (ctx) => {
    const admin = requireSysadmin(ctx);
    const outcome = await deps.policies.apply(await readDocument(ctx), actorOf(ctx), admin.id);
    ctx.status = outcome.created ? 201 : 200;
    ctx.set('Location', `/api/v2.0/policies/${outcome.policy.kind}/${outcome.policy.name}/versions/${outcome.policy.version}`);
    ctx.body = { created: outcome.created, projects_created: outcome.projectsCreated, warnings: outcome.warnings, policy: presentPolicy(outcome.policy) };
  });

  router.get('/policies', async (ctx) => {
    requireUser(ctx);
    const kind = ctx.query.kind === undefined ? undefined : kindParam(typeof ctx.query.kind === 'string' ? ctx.query.kind : undefined);
    const page = readHarborPage(ctx);
    const all = await deps.policies.list(kind);
    setPageHeaders(ctx, page, all.length);
    ctx.body = all.slice((page.page - 1) * page.pageSize, page.page * page.pageSize).map(presentPolicy);
  });

  router.get('/policies/:kind/:name', async (ctx) => {
    requireUser(ctx);
    const kind = kindParam(ctx.params.kind);
    const name = nameParam(ctx);
    const policy = await deps.policies.get(kind, name);
    if (!policy) throw new BerthError('NOT_FOUND', `no ${kind} named ${name}`);
    ctx.body = presentPolicy(policy);
  });

  router.get('/policies/:kind/:name/versions', async (ctx) => {
    requireUser(ctx);
    const versions = await deps.policies.versions(kindParam(ctx.params.kind), nameParam(ctx));
    const page = readHarborPage(ctx);
    setPageHeaders(ctx, page, versions.length);
    ctx.body = versions.slice((page.page - 1) * page.pageSize, page.page * page.pageSize).map(presentPolicy);
  });

  router.get('/policies/:kind/:name/versions/:version', async (ctx) => {
    requireUser(ctx);
    const raw = ctx.params.version ?? '';
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new BerthError('BAD_REQUEST', 'version must be a positive integer');
    ctx.body = presentPolicy(await deps.policies.version(kindParam(ctx.params.kind), nameParam(ctx), Number(raw)));
  });

  router.delete('/policies/:kind/:name', async (ctx) => {
    requireSysadmin(ctx);
    await deps.policies.delete(kindParam(ctx.params.kind), nameParam(ctx), actorOf(ctx));
    ctx.status = 200;
  });
}
