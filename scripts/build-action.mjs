#!/usr/bin/env node
// Bundles the GitHub Action (actions/github/src/main.ts and the shared client it imports) into one file,
// actions/github/dist/index.mjs, which the runner executes with no npm install. `--check` rebuilds in memory and
// fails if the committed bundle differs, so .ci/run catches a source change whose bundle was not rebuilt.
import { build } from 'esbuild';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'actions/github/dist/index.mjs');
const result = await build({
  entryPoints: [path.join(root, 'actions/github/src/main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  write: false,
  legalComments: 'none',
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  logLevel: 'warning',
});
const code = result.outputFiles[0].text;
if (process.argv.includes('--check')) {
  const committed = await readFile(out, 'utf8').catch(() => '');
  if (committed !== code) {
    console.error('actions/github/dist/index.mjs is stale: run `npm run build:action` and commit the result');
    process.exit(1);
  }
  console.log('actions/github/dist/index.mjs is up to date');
} else {
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, code);
  console.log(`wrote ${path.relative(root, out)} (${(code.length / 1024).toFixed(0)} KiB)`);
}
