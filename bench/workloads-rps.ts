// Workloads 4-5: small-response request rate (manifest GET/HEAD by tag, tags list)
// over N keep-alive connections for a fixed duration after a warm-up.
// Default load generator is wrk (C, epoll): on a 2-core box every CPU cycle the
// client burns is taken from the server, and wrk burns about a third of what our
// Node client does. wrk cannot do HEAD (its parser waits for a Content-Length
// body that never comes), so HEAD always uses the node:net client.
// `--rps-tool=node` uses the node:net client for everything (fallback / cross-check).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HttpConn } from './http-client.ts';
import { OCI_MANIFEST } from './data.ts';
import { BenchError, expectDigest, expectStatus, pushImage } from './registry.ts';
import type { Target } from './servers.ts';
import { measure } from './workload.ts';
import type { Ctx, Figure, Options, Workload } from './workload.ts';

interface Load { method: 'GET' | 'HEAD'; path: string; headers: Record<string, string> }
interface LoadResult { requests: number; rps: number; p50Ms: number; p99Ms: number; errors: number }

// The done() hook prints machine-readable totals (latencies in microseconds).
const WRK_LUA = (method: string) => `wrk.method = "${method}"
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("BENCH_JSON {\\"requests\\":%.0f,\\"duration_us\\":%.0f,\\"p50_us\\":%.0f,\\"p99_us\\":%.0f,\\"errors\\":%.0f}\\n",
    s.requests, s.duration, latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
`;

export function runWrk(t: Target, load: Load, seconds: number, o: Options): Promise<LoadResult> {
  const script = path.join(o.tmpDir, `wrk-${load.method}.lua`);
  fs.writeFileSync(script, WRK_LUA(load.method));
  const args = ['-t', String(o.wrkThreads), '-c', String(o.connections), '-d', `${seconds}s`, '--timeout', '5s', '-s', script];
  for (const [k, v] of Object.entries(load.headers)) args.push('-H', `${k}: ${v}`);
  args.push(`http://127.0.0.1:${t.port}${load.path}`);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (err || !line) return reject(new BenchError(`wrk failed: ${err?.message ?? 'no BENCH_JSON line'} ${stderr}`));
      const j = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
      const requests = j['requests'] ?? 0;
      resolve({
        requests, rps: requests / ((j['duration_us'] ?? 1) / 1e6), errors: j['errors'] ?? 0,
        p50Ms: (j['p50_us'] ?? 0) / 1000, p99Ms: (j['p99_us'] ?? 0) / 1000,
      });
    });
  });
}

export async function runNode(t: Target, load: Load, seconds: number, o: Options): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const conns = Array.from({ length: o.connections }, () => new HttpConn(t.port));
  try {
    await Promise.all(conns.map(async (c) => {
      while (performance.now() < deadline) { // bounded by time
        const s = performance.now();
        const r = await c.request({ method: load.method, path: load.path, headers: load.headers, onBody: () => {}, timeoutMs: 5000 });
        if (r.status !== 200) errors++;
        lat.push(performance.now() - s);
      }
    }));
  } finally {
    for (const c of conns) c.close();
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0;
  return { requests: lat.length, rps: lat.length / ((performance.now() - t0) / 1000), p50Ms: pct(50), p99Ms: pct(99), errors };
}

async function rate(t: Target, ctx: Ctx, id: string, label: string, load: Load, what: string): Promise<Figure[]> {
  const o = ctx.opts;
  const tool = o.rpsTool === 'wrk' && load.method !== 'HEAD' ? 'wrk' : 'node';
  const run = tool === 'wrk' ? runWrk : runNode;
  const note = `${what}${o.connections} conns, ${tool}`;
  await run(t, load, o.warmupS, o); // warm-up: JIT, caches, connection setup
  const m = await measure(t, () => run(t, load, o.durationS, o));
  const r = m.result;
  if (r.errors > 0 || r.requests === 0) {
    throw new BenchError(`${label} (${t.label}): ${r.errors} errors / non-2xx-3xx of ${r.requests} requests`);
  }
  const base = { better: 'lower' as const, note };
  return [
    { id: `${id}-rps`, label: `${label} req/s`, unit: 'req/s', better: 'higher', value: r.rps, cpuS: m.cpuS, note },
    { ...base, id: `${id}-p50`, label: `${label} p50`, unit: 'ms', value: r.p50Ms },
    { ...base, id: `${id}-p99`, label: `${label} p99`, unit: 'ms', value: r.p99Ms },
  ];
}

export const manifests: Workload = {
  id: 'manifest',
  title: 'manifest GET/HEAD by tag',
  async run(t, ctx) {
    const img = ctx.data.latest;
    const p = `/v2/${t.repo}/manifests/${img.tag}`;
    const headers = { ...t.pullHeaders, accept: OCI_MANIFEST };
    const c = new HttpConn(t.port);
    try {
      await pushImage(c, t, img); // untimed setup (idempotent)
      const g = await c.request({ method: 'GET', path: p, headers });
      expectStatus(g, [200], `GET manifest (${t.label})`);
      expectDigest(g, img.manifest.digest, 'GET manifest');
      if (!g.body.equals(img.manifest.data)) throw new BenchError(`GET manifest (${t.label}): body differs from pushed bytes`);
      const h = await c.request({ method: 'HEAD', path: p, headers });
      expectStatus(h, [200], `HEAD manifest (${t.label})`);
      if (Number(h.headers['content-length']) !== img.manifest.data.length) throw new BenchError(`HEAD manifest (${t.label}): wrong Content-Length`);
    } finally {
      c.close();
    }
    return [
      ...(await rate(t, ctx, 'manifest-get', 'manifest GET', { method: 'GET', path: p, headers }, '')),
      ...(await rate(t, ctx, 'manifest-head', 'manifest HEAD', { method: 'HEAD', path: p, headers }, '')),
    ];
  },
};

export const tags: Workload = {
  id: 'tags',
  title: 'tags list',
  async run(t, ctx) {
    const p = `/v2/${t.repo}/tags/list`;
    const c = new HttpConn(t.port);
    let count = 0;
    try {
      await pushImage(c, t, ctx.data.latest); // so the list is never empty, even with --only=tags
      const r = await c.request({ method: 'GET', path: p, headers: t.pullHeaders });
      expectStatus(r, [200], `GET tags/list (${t.label})`);
      const j = JSON.parse(r.body.toString('utf8')) as { tags?: unknown };
      if (!Array.isArray(j.tags) || !j.tags.includes('latest')) throw new BenchError(`GET tags/list (${t.label}): no "latest" in ${r.body.toString().slice(0, 200)}`);
      count = j.tags.length;
    } finally {
      c.close();
    }
    return rate(t, ctx, 'tags', 'tags list', { method: 'GET', path: p, headers: t.pullHeaders }, `${count} tags, `);
  },
};
