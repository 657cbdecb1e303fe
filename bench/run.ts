// Berth vs CNCF Distribution benchmark: `npm run bench [-- --flags]`.
// Starts both servers on loopback ephemeral ports, runs each workload against
// Berth then Distribution with identical input, prints a side-by-side table and
// writes bench/results/latest.json. Exits 1 if any workload or server start fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDataset } from './data.ts';
import { pair, printTable, writeJson } from './report.ts';
import type { Failure } from './report.ts';
import { startBerth, startDistribution } from './servers.ts';
import { warmUp } from './warm-up.ts';
import type { StartOptions, Target, TargetName } from './servers.ts';
import { MiB, hostTicks } from './workload.ts';
import type { Figure, Options, Workload } from './workload.ts';
import { images } from './workloads-images.ts';
import { pull, pushChunkedWl, pushMono } from './workloads-blob.ts';
import { manifests, tags } from './workloads-rps.ts';
import { scan } from './workloads-scan.ts';

// Execution order: the tags list runs after the image pushes so it lists 500+ tags.
const WORKLOADS: Workload[] = [pushMono, pushChunkedWl, pull, manifests, images, tags, scan];
const ALIASES: Record<string, string> = { '1': 'push-mono', '2': 'push-chunked', '3': 'pull', '4': 'manifest', '5': 'tags', '6': 'images', '7': 'scan' };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WATCHDOG_MS = 30 * 60_000; // hard upper bound for a whole run

const USAGE = `usage: npm run bench -- [flags]
  --only=<ids>           comma list of: ${WORKLOADS.map((w) => w.id).join(', ')} (or 1-7)
  --target=<t>           berth | distribution | both (default both)
  --duration=5 --warmup=1 --connections=32    req/s workloads (seconds, keep-alive conns)
  --size-mib=256 --chunk-mib=8 --streams=8    blob workloads
  --images=500 --image-concurrency=8          small-image push workload
  --rps-tool=wrk|node    load generator for req/s workloads (default wrk)
  --wrk-threads=1        wrk threads
  --pull-auth            send Basic auth on Berth pulls too (default: anonymous pulls)
  --dist-cache           enable Distribution's inmemory blobdescriptor cache (Debian stock config)
  --out=<file>           JSON output (default bench/results/latest.json)`;

function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}\n${USAGE}`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const known = ['only', 'target', 'duration', 'warmup', 'connections', 'size-mib', 'chunk-mib', 'streams', 'images',
    'image-concurrency', 'rps-tool', 'wrk-threads', 'pull-auth', 'dist-cache', 'out', 'help'];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  const int = (k: string, d: number, min = 1, max = 1_000_000) => {
    const v = Number(flags.get(k) ?? d);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${k} must be an integer in [${min}, ${max}]`);
    return v;
  };
  const target = flags.get('target') ?? 'both';
  if (!['berth', 'distribution', 'both'].includes(target)) throw new Error(`--target must be berth, distribution or both`);
  const rpsTool = flags.get('rps-tool') ?? 'wrk';
  if (rpsTool !== 'wrk' && rpsTool !== 'node') throw new Error('--rps-tool must be wrk or node');
  const only = (flags.get('only') ?? WORKLOADS.map((w) => w.id).join(',')).split(',').map((s) => ALIASES[s] ?? s);
  for (const id of only) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`unknown workload ${id}\n${USAGE}`);
  const opts: Options = {
    bigSize: int('size-mib', 256, 1, 4096) * MiB, chunkSize: int('chunk-mib', 8, 1, 1024) * MiB,
    pullStreams: int('streams', 8, 1, 64), connections: int('connections', 32, 1, 1024),
    durationS: int('duration', 5, 1, 120), warmupS: int('warmup', 1, 1, 60),
    imageCount: int('images', 500, 1, 10_000), imageConcurrency: int('image-concurrency', 8, 1, 256),
    rpsTool, wrkThreads: int('wrk-threads', 1, 1, 16), tmpDir: '',
  };
  const start: StartOptions = { root: ROOT, pullAuth: flags.has('pull-auth'), distCache: flags.has('dist-cache') };
  const targets: TargetName[] = target === 'both' ? ['berth', 'distribution'] : [target as TargetName];
  const out = path.resolve(flags.get('out') ?? path.join(ROOT, 'bench/results/latest.json'));
  return { help: flags.has('help'), opts, start, targets, only, out };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const a = parseArgs(argv);
  if (a.help) { console.log(USAGE); return 0; }
  a.opts.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-client-'));
  const started: Target[] = [];
  const failures: Failure[] = [];
  let aborted = false;
  // Shared by the normal path and the signal path so neither can exit before
  // the servers are stopped and their temp dirs removed.
  let stopping: Promise<void> | undefined;
  const cleanup = () => (stopping ??= Promise.all(started.map((t) => t.stop())).then(() => {
    fs.rmSync(a.opts.tmpDir, { recursive: true, force: true });
  }));
  const onSignal = (why: string) => {
    aborted = true;
    console.error(`\nbench: ${why}, stopping servers`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  const watchdog = setTimeout(() => onSignal(`watchdog expired after ${WATCHDOG_MS / 60_000} min`), WATCHDOG_MS);
  watchdog.unref();
  try {
    let t0 = Date.now();
    const data = makeDataset(a.opts.bigSize, a.opts.imageCount);
    console.log(`generated test data in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const name of a.targets) {
      try {
        t0 = Date.now();
        const t = await (name === 'berth' ? startBerth : startDistribution)(a.start);
        if (aborted) { await t.stop(); return 130; } // signalled while it was starting
        started.push(t);
        console.log(`started ${t.label} pid ${t.pid} on 127.0.0.1:${t.port} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (e) {
        failures.push({ target: name, workload: 'start', message: (e as Error).message });
        console.error(`FAILED to start ${name}: ${(e as Error).message}`);
      }
    }
    // Warm both servers up the same way before measuring (JIT, allocator, first files), so a 1-second workload
    // measures steady-state throughput rather than start-up.
    for (const t of started) await warmUp(t);
    const figs: Record<TargetName, Figure[]> = { berth: [], distribution: [] };
    // Other processes on a 2-core box skew everything; say so rather than publish noise.
    const load0 = os.loadavg()[0] ?? 0;
    if (load0 > 1) console.warn(`warning: host 1-min load average is ${load0.toFixed(1)} before the run; figures will be noisy`);
    const ticks0 = hostTicks();
    for (const w of WORKLOADS.filter((x) => a.only.includes(x.id))) {
      for (const t of started) {
        if (aborted) return 130;
        process.stdout.write(`${w.title} / ${t.label} ... `);
        try {
          const res = await w.run(t, { opts: a.opts, data });
          figs[t.name].push(...res);
          console.log(res.map((f) => `${f.label}: ${f.value.toFixed(f.value < 10 ? 2 : 0)} ${f.unit}`).join('; '));
        } catch (e) {
          failures.push({ target: t.name, workload: w.id, message: (e as Error).message });
          console.log(`FAILED: ${(e as Error).message}`);
        }
      }
    }
    if (aborted) return 130;
    const ticks1 = hostTicks();
    const stealPct = (100 * (ticks1.steal - ticks0.steal)) / Math.max(1, ticks1.total - ticks0.total);
    const rows = pair(figs);
    console.log('');
    printTable(rows);
    console.log(`host CPU steal during workloads: ${stealPct.toFixed(1)}% (high values mean a noisy VM; compare ratios, not absolutes)`);
    writeJson(a.out, rows, failures, a.opts, argv, { cpuStealPct: Number(stealPct.toFixed(1)), loadAvgAtStart: Number(load0.toFixed(2)) });
    console.log(`\nresults written to ${path.relative(process.cwd(), a.out)}`);
    for (const f of failures) console.error(`FAILED ${f.target} ${f.workload}: ${f.message}`);
    return failures.length ? 1 : 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
