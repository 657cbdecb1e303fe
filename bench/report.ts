// Side-by-side table and JSON results.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TargetName } from './servers.ts';
import type { Figure, Options } from './workload.ts';

export interface Row {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  berth: number | null;
  distribution: number | null;
  ratio: number | null; // berth / distribution
  cpuS: { berth: number | null; distribution: number | null };
  note: { berth?: string; distribution?: string };
}

export interface Failure { target: TargetName; workload: string; message: string }

/** Pairs the figures of both targets by id, keeping first-seen order. */
export function pair(figs: Record<TargetName, Figure[]>): Row[] {
  const rows = new Map<string, Row>();
  for (const name of ['berth', 'distribution'] as const) {
    for (const f of figs[name]) {
      let row = rows.get(f.id);
      if (!row) {
        row = { id: f.id, label: f.label, unit: f.unit, better: f.better, berth: null, distribution: null, ratio: null, cpuS: { berth: null, distribution: null }, note: {} };
        rows.set(f.id, row);
      }
      row[name] = f.value;
      row.cpuS[name] = f.cpuS ?? null;
      if (f.note !== undefined) row.note[name] = f.note;
    }
  }
  for (const r of rows.values()) {
    if (r.berth !== null && r.distribution !== null && r.distribution !== 0) r.ratio = r.berth / r.distribution;
  }
  return [...rows.values()];
}

function num(v: number | null, digits?: number): string {
  if (v === null) return '-';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toFixed(d);
}

export function printTable(rows: Row[]): void {
  const head = ['workload', 'unit', 'Berth', 'Distribution', 'ratio B/D', 'Berth CPU s', 'Distribution CPU s'];
  const body = rows.map((r) => {
    const note = r.note.berth ?? r.note.distribution;
    return [
      note ? `${r.label} (${note})` : r.label, `${r.unit} ${r.better === 'higher' ? '↑' : '↓'}`,
      num(r.berth), num(r.distribution), num(r.ratio, 2), num(r.cpuS.berth, 2), num(r.cpuS.distribution, 2),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const b of body) console.log(fmt(b));
  console.log('↑ higher is better, ↓ lower is better. ratio = Berth / Distribution. CPU s = server utime+stime during the measured interval.');
  for (const r of rows) {
    if (r.note.berth !== undefined && r.note.distribution !== undefined && r.note.berth !== r.note.distribution) {
      console.log(`note: ${r.label}: Berth "${r.note.berth}" vs Distribution "${r.note.distribution}"`);
    }
  }
}

export function writeJson(file: string, rows: Row[], failures: Failure[], opts: Options, argv: string[], noise: { cpuStealPct: number; loadAvgAtStart: number }): void {
  const { tmpDir: _tmp, ...config } = opts;
  const out = {
    generatedAt: new Date().toISOString(),
    ok: failures.length === 0,
    argv,
    host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, ...noise },
    targets: { berth: 'Berth (server/main.ts via tsx)', distribution: 'CNCF Distribution 2.8.2 (/usr/bin/docker-registry), filesystem storage' },
    config,
    results: rows,
    failures,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
}
