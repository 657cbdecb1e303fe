import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/databases.ts';
import { OciTestClient, ociManifestType } from '../helpers/oci-client.ts';
import { createTestServer, type TestServer } from '../helpers/test-server.ts';

describe.each(databaseKinds)('pull statistics on %s', (kind) => {
  let server: TestServer;
  let client: OciTestClient;

  beforeAll(async () => {
    // A long flush interval: nothing is written until the test asks for it.
    server = await createTestServer({ database: kind, config: { registry: { pullStatsFlushMs: 3_600_000 }, audit: { pullAggregationMs: 3_600_000 } } });
    client = new OciTestClient(server.url, server.adminAuth);
  });
  afterAll(async () => server?.stop());

  it('counts pulls by tag and by digest in memory and writes them later in one batch, never on the pull path', async () => {
    const { digest } = await client.pushImage('library/stats', 'v1');
    // The push's own audit entry is written behind it; let it land before listening.
    await server.services.audit.flush();
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    server.services.db.knex.on('query', onQuery);
    try {
      // The listener sees every statement (so an empty list below means none was written).
      await server.services.db.knex.raw('select 1 as probe');
      expect(statements).toEqual(['select 1 as probe']);
      for (let i = 0; i < 3; i++) expect((await client.request('GET', '/v2/library/stats/manifests/v1', { headers: { accept: ociManifestType } })).status).toBe(200);
      expect((await client.request('GET', `/v2/library/stats/manifests/${digest}`, { headers: { accept: ociManifestType } })).status).toBe(200);
      expect((await client.request('HEAD', '/v2/library/stats/manifests/v1', { headers: { accept: ociManifestType } })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      server.services.db.knex.off('query', onQuery);
    }
    expect(statements.filter((sql) => /^\s*(insert|update|delete)/i.test(sql))).toEqual([]);
    const before = await server.services.db.knex('artifacts').where({ digest }).first('pull_count', 'pull_time');
    expect(before).toMatchObject({ pull_count: 0, pull_time: null });

    await server.services.pullStats.flush();
    const after = await server.services.db.knex('artifacts').where({ digest }).first('pull_count', 'pull_time');
    // HEAD is not a pull.
    expect(Number(after.pull_count)).toBe(4);
    expect(after.pull_time).not.toBeNull();
    const tag = await server.services.db.knex('tags').where({ name: 'v1' }).first('pull_time');
    expect(tag.pull_time).not.toBeNull();
  });

  it('adds later pulls to the stored count and keeps the latest pull time', async () => {
    const { digest } = await client.pushImage('library/stats2', 'latest');
    await client.request('GET', `/v2/library/stats2/manifests/${digest}`);
    await server.services.pullStats.flush();
    const first = await server.services.db.knex('artifacts').where({ digest }).first('pull_count', 'pull_time');
    await new Promise((r) => setTimeout(r, 20));
    await client.request('GET', '/v2/library/stats2/manifests/latest');
    await client.request('GET', '/v2/library/stats2/manifests/latest');
    await server.services.pullStats.flush();
    const second = await server.services.db.knex('artifacts').where({ digest }).first('pull_count', 'pull_time');
    expect(Number(second.pull_count)).toBe(3);
    expect(new Date(second.pull_time).getTime()).toBeGreaterThan(new Date(first.pull_time).getTime());
  });
});
