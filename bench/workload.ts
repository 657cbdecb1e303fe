// Shared workload types and the measuring helper.
import type { Dataset } from './data.ts';
import type { Target } from './servers.ts';
import fs from 'node:fs';
import { cpuSeconds } from './servers.ts';

export interface Options {
  bigSize: number; // bytes of the large blob
  chunkSize: number; // PATCH chunk size
  pullStreams: number; // concurrent streams for the parallel pull
  connections: number; // keep-alive connections for the req/s workloads
  durationS: number; // measured seconds per req/s workload
  warmupS: number; // unmeasured seconds before each req/s workload
  imageCount: number;
  imageConcurrency: number;
  rpsTool: 'wrk' | 'node';
  wrkThreads: number;
  tmpDir: string;
}

export interface Ctx {
  opts: Options;
  data: Dataset;
}

/** One number of the result table. */
export interface Figure {
  id: string; // stable key, used in the JSON and to pair targets
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  value: number;
  cpuS?: number; // server CPU seconds spent while producing this figure
  note?: string;
}

export interface Workload {
  id: string;
  title: string;
  run(t: Target, ctx: Ctx): Promise<Figure[]>;
}

export const MiB = 1 << 20;

/** Runs fn and returns its result with wall seconds and the server's CPU-seconds delta. */
export async function measure<T>(t: Target, fn: () => Promise<T>): Promise<{ result: T; wallS: number; cpuS: number }> {
  const cpu0 = cpuSeconds(t.pid);
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  return { result, wallS, cpuS: cpuSeconds(t.pid) - cpu0 };
}

/** Host-wide CPU ticks from /proc/stat. Steal time shows a noisy VM neighbour. */
export function hostTicks(): { steal: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
}
