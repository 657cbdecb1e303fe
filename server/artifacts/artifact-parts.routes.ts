import type Router from '@koa/router';
import type { JSONSchemaType } from 'ajv';
import { BerthError } from '../core/errors.ts';
import { idParam } from '../api/api-access.ts';
import { readHarborPage, setPageHeaders } from '../http/harbor-list.ts';
import { parseHarborQuery, parseHarborSort } from '../http/harbor-query.ts';
import { bodySchema, parseBody } from '../http/validate.ts';
import { validateLabelRef } from '../labels/labels.schema.ts';
import { boolParam } from './artifact-query.ts';
import { artifactOf, type ArtifactRouteDeps } from './artifact-routes-deps.ts';
import { tagSortColumns } from './artifact-views.repo.ts';
import { presentAccessory, presentTag } from './artifacts.presenter.ts';
import { actorOf } from '../http/actor.ts';

const base = '/projects/:project_name/repositories/:repository_name/artifacts/:reference';

/** Harbor's NewTag. */
const validateNewTag = bodySchema<{ name: string }>({
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
} as JSONSchemaType<{ name: string }>);

/** Tags, accessories, labels and additions of one artifact: Harbor's shapes. */
export function mountArtifactPartRoutes(router: Router, deps: ArtifactRouteDeps): void {
  router.get(`${base}/tags`, async (ctx) => {
    const { artifact } = await artifactOf(ctx, deps, 'tag:list');
    const withImmutable = boolParam(ctx, 'with_immutable_status', false);
    const page = readHarborPage(ctx);
    const terms = parseHarborQuery(ctx.query.q, ['name']);
    if (terms.some((t) => t.op === 'range')) throw new BerthError('BAD_REQUEST', 'name cannot be queried by range');
    const result = await deps.artifacts.tags(artifact, { terms, sort: parseHarborSort(ctx.query.sort, tagSortColumns), offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    const immutable = withImmutable ? await deps.artifacts.immutableAmong(artifact, result.rows.map((t) => t.name)) : new Set<string>();
    ctx.body = result.rows.map((t) => presentTag(t, immutable.has(t.name)));
  });

  router.post(`${base}/tags`, async (ctx) => {
    const { project, artifact } = await artifactOf(ctx, deps, 'tag:create');
    const body = await parseBody(ctx, validateNewTag);
    await deps.artifacts.addTag(project, artifact, body.name, actorOf(ctx));
    ctx.status = 201;
  });

  router.delete(`${base}/tags/:tag_name`, async (ctx) => {
    const { project, artifact } = await artifactOf(ctx, deps, 'tag:delete');
    await deps.artifacts.deleteTag(project, artifact, (ctx.params as Record<string, string>).tag_name ?? '', actorOf(ctx));
    ctx.status = 200;
  });

  router.get(`${base}/accessories`, async (ctx) => {
    const { artifact } = await artifactOf(ctx, deps, 'accessory:list');
    parseHarborQuery(ctx.query.q, []);
    parseHarborSort(ctx.query.sort, {});
    const page = readHarborPage(ctx);
    const result = await deps.artifacts.accessories(artifact, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    setPageHeaders(ctx, page, result.total);
    ctx.body = result.rows.map(presentAccessory);
  });

  router.post(`${base}/labels`, async (ctx) => {
    const { project, artifact } = await artifactOf(ctx, deps, 'artifact-label:create');
    const body = await parseBody(ctx, validateLabelRef);
    await deps.labels.attach(project, artifact, body.id, actorOf(ctx));
    ctx.status = 200;
  });

  router.delete(`${base}/labels/:label_id`, async (ctx) => {
    const { project, artifact } = await artifactOf(ctx, deps, 'artifact-label:delete');
    await deps.labels.detach(project, artifact, idParam(ctx, 'label_id'), actorOf(ctx));
    ctx.status = 200;
  });

  router.get(`${base}/additions/:addition`, async (ctx) => {
    const { artifact } = await artifactOf(ctx, deps, 'artifact-addition:read');
    const addition = (ctx.params as Record<string, string>).addition ?? '';
    const provided = Object.hasOwn(deps.additions ?? {}, addition) ? deps.additions?.[addition] : undefined;
    if (provided) {
      const out = await provided(artifact, ctx.query);
      ctx.type = out.type;
      ctx.body = out.body;
      return;
    }
    if (addition !== 'build_history') {
      const known = ['vulnerabilities', 'values.yaml', 'readme.md', 'dependencies', 'sbom', 'license', 'files'].includes(addition);
      throw new BerthError(known ? 'NOT_FOUND' : 'BAD_REQUEST', known ? `addition ${addition} is not available for this artifact` : `unknown addition "${addition.slice(0, 50)}"`);
    }
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = JSON.stringify(await deps.artifacts.buildHistory(artifact));
  });
}
