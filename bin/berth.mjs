#!/usr/bin/env node
// The `berth` command: loads the TypeScript CLI through tsx (a dependency already), so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../server/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
