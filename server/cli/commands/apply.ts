import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isClientError } from '../../client/errors.ts';
import { list, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';

interface Doc {
  file: string;
  kind: string;
  name: string;
  text: string;
}

// Trust policies first: a ladder's signature gates name them (applying a ladder first works, with a warning).
const order = (kind: string): number => (kind === 'TrustPolicy' ? 0 : kind === 'PromotionLadder' ? 2 : 1);

async function filesOf(target: string): Promise<string[]> {
  const s = await stat(target).catch(() => undefined);
  if (!s) throw new UsageError(`${target}: no such file or directory`);
  if (!s.isDirectory()) return [target];
  const out: string[] = [];
  for (const entry of (await readdir(target, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) out.push(...(await filesOf(full)));
    else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(full);
  }
  return out;
}

async function readStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Splits files into documents (YAML streams hold several), each kept as its own text so the server sees what Git has. */
function documentsOf(file: string, text: string): Doc[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Doc[] = [];
  for (const d of list) {
    if (d.errors.length) throw new UsageError(`${file}: ${d.errors[0]!.message.split('\n')[0]}`);
    const value = d.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (value === null || value === undefined) continue;
    out.push({ file, kind: String(value.kind ?? '?'), name: String(value.metadata?.name ?? '?'), text: JSON.stringify(value) });
  }
  return out;
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'apply policy documents (trust policies, promotion ladders) from files, declaratively and idempotently',
  usage: 'berth apply -f <file|dir|-> [-f ...]',
  description:
    'Each document in the files (YAML streams may hold several; a directory is read recursively for .yaml, .yml and ' +
    '.json) is applied with PUT /api/v2.0/policies: a changed document becomes a new version, an unchanged one writes ' +
    'nothing, so the same files can be applied on every commit. Trust policies go before ladders. Every document is ' +
    'tried; the exit code is non-zero if any was refused. Needs a system administrator.',
  options: { filename: { type: 'string', short: 'f', multiple: true, value: 'path', help: 'a file, a directory, or - for stdin' } },
  async run(ctx) {
    const targets = list(ctx.values.filename);
    if (!targets.length) throw new UsageError('give the documents with -f <file|dir|->');
    const docs: Doc[] = [];
    for (const t of targets) {
      if (t === '-') docs.push(...documentsOf('<stdin>', await readStdin(ctx)));
      else for (const f of await filesOf(t)) docs.push(...documentsOf(f, await readFile(f, 'utf8')));
    }
    if (!docs.length) throw new UsageError(`no documents in ${targets.join(', ')}`);
    docs.sort((a, b) => order(a.kind) - order(b.kind));
    const api = await ctx.api();
    const results: Array<Record<string, unknown>> = [];
    let worst: number = exitCodes.ok;
    for (const doc of docs) {
      try {
        const applied = await api.applyPolicy(doc.text, 'application/json');
        results.push({ file: doc.file, kind: doc.kind, name: doc.name, result: applied.created ? 'created' : 'unchanged', version: applied.policy.version, digest: applied.policy.digest, projects_created: applied.projects_created, warnings: applied.warnings });
        if (!ctx.json) {
          ctx.out(`${doc.kind}/${doc.name}: ${applied.created ? `applied as version ${applied.policy.version}` : `unchanged (version ${applied.policy.version})`}`);
          for (const p of applied.projects_created) ctx.out(`  created stage project ${p}`);
          for (const w of applied.warnings) ctx.out(`  warning: ${w}`);
        }
      } catch (err) {
        if (!isClientError(err) || err.kind === 'network' || err.kind === 'auth') throw err;
        worst = exitCodes.error;
        results.push({ file: doc.file, kind: doc.kind, name: doc.name, result: 'refused', error: err.message });
        if (!ctx.json) ctx.out(`${doc.kind}/${doc.name} (${doc.file}): REFUSED ${err.message}`);
      }
    }
    if (ctx.json) ctx.out(JSON.stringify(results, null, 2));
    return worst;
  },
};
