import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Router from '@koa/router';
import { apiRoutes } from '../../server/api/api.routes.ts';
import { sendRaw } from '../helpers/raw-http.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * A sweep over every route of the management API, read from the router itself so a new route cannot be missed:
 * hostile path parameters (NUL, traversal, double and broken encodings, huge numbers, long names) and broken
 * bodies (truncated JSON, wrong types, an oversized body), as the administrator and anonymously. Every answer
 * must be a deliberate one: never a 5xx, always Harbor's error envelope, and no table but the audit log changes.
 */

const hostileParams = ['%00', '..%2F..%2Fetc', '%252e%252e%252Fx', '99999999999999999999', '-1', '%ZZ', 'a'.repeat(300), '999999'];
const brokenBodies = ['{', '[]', '{"name": 5, "hard": "x", "targets": null}', 'null'];

interface RouteInfo {
  method: string;
  path: string;
}

function routesOf(server: TestServer): RouteInfo[] {
  const middleware = apiRoutes(server.services)[1] as unknown as { router: Router };
  const out: RouteInfo[] = [];
  for (const layer of middleware.router.stack) {
    for (const method of layer.methods) if (method !== 'HEAD' || layer.methods.length === 1) out.push({ method, path: String(layer.path) });
  }
  return out;
}

const fill = (path: string, value: string): string => path.replace(/:[a-z_]+/g, value);

describe('every management API route against hostile input', () => {
  let server: TestServer;
  let routes: RouteInfo[];

  beforeAll(async () => {
    server = await createTestServer();
    routes = routesOf(server);
  });
  afterAll(async () => server?.stop());

  async function counts(): Promise<Record<string, number>> {
    const tables = await server.services.db.knex.raw(`select tablename from pg_tables where schemaname = 'public' and tablename not like 'knex_%'`);
    const out: Record<string, number> = {};
    for (const { tablename } of tables.rows as Array<{ tablename: string }>) {
      const [row] = await server.services.db.knex(tablename).count<Array<{ count: string | number }>>('* as count');
      out[tablename] = Number(row?.count);
    }
    return out;
  }

  it('reads every route from the router', () => {
    expect(routes.length).toBeGreaterThan(90);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /api/v2.0/audit-logs', 'PUT /api/v2.0/configurations', 'POST /api/v2.0/projects/:project_name_or_id/webhook/policies']));
  });

  it('answers every one with a deliberate 4xx in Harbor’s envelope, never a 5xx, and writes nothing', async () => {
    const before = await counts();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const check = async (method: string, path: string, auth: string | null, body?: string): Promise<void> => {
      const headers: Record<string, string> = auth ? { authorization: auth } : {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await sendRaw(server.port, { method, path, headers: { host: '127.0.0.1', ...headers }, body });
      const label = `${method} ${path.slice(0, 120)}${body === undefined ? '' : ` body ${body.slice(0, 40)}`} ${auth ? 'admin' : 'anonymous'}`;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) return void failures.push(`${label} -> ${res.status}`);
      if (res.status < 400 || method === 'HEAD') return;
      try {
        const parsed = JSON.parse(res.body.toString()) as { errors?: Array<{ code?: unknown; message?: unknown }> };
        const e = parsed.errors?.[0];
        if (typeof e?.code !== 'string' || typeof e.message !== 'string') failures.push(`${label} -> ${res.status} without the envelope`);
      } catch {
        failures.push(`${label} -> ${res.status} with a body that is not JSON`);
      }
    };
    const writes = new Set(['POST', 'PUT', 'PATCH']);
    for (const route of routes) {
      for (const value of hostileParams) await check(route.method, fill(route.path, value), server.adminAuth, writes.has(route.method) ? '{' : undefined);
      if (writes.has(route.method)) {
        for (const body of brokenBodies) await check(route.method, fill(route.path, '999999'), server.adminAuth, body);
        await check(route.method, fill(route.path, '999999'), server.adminAuth, `"${'x'.repeat(2 * 1024 * 1024)}"`);
      }
      await check(route.method, fill(route.path, '999999'), null, writes.has(route.method) ? '{}' : undefined);
    }
    expect(failures).toEqual([]);
    // The sweep reached the handlers: validation (400), access (401), missing things (404) and size limits (413).
    for (const status of [400, 401, 404, 413]) expect(statuses.get(status) ?? 0, `answers with ${status}`).toBeGreaterThan(10);
    const after = await counts();
    delete before.audit_logs;
    delete after.audit_logs;
    expect(after).toEqual(before);
  }, 300_000);
});
