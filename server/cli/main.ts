import { isClientError } from '../client/errors.ts';
import { globalOptions, optionHelp, parse, UsageError } from './args.ts';
import type { Command } from './command.ts';
import { applyCommand } from './commands/apply.ts';
import { loginCommand, logoutCommand } from './commands/login.ts';
import { approveCommand, gateCommand, promoteCommand } from './commands/promotion.ts';
import { pullSecretCommand } from './commands/pull-secret.ts';
import { robotCommand } from './commands/robot.ts';
import { scanCommand } from './commands/scan.ts';
import { copyCommand, inspectCommand, pullCommand, pushCommand, tagCommand } from './commands/transfer.ts';
import { CliContext, type CliIO } from './context.ts';
import { exitCodeOf, exitCodes } from './exit-codes.ts';

export const commands: Command[] = [loginCommand, logoutCommand, pushCommand, pullCommand, copyCommand, tagCommand, inspectCommand, promoteCommand, gateCommand, approveCommand, scanCommand, pullSecretCommand, robotCommand, applyCommand];

const version = '0.1.0';

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'berth: push, pull, promote and gate container images on a Berth registry',
    '',
    'Usage: berth <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options for every command:',
    optionHelp(globalOptions),
    '',
    'Environment: BERTH_SERVER, BERTH_USERNAME and BERTH_PASSWORD (credentials for the Berth server, instead of the',
    'auth file), REGISTRY_AUTH_FILE, DOCKER_CONFIG, BERTH_PLAIN_HTTP=1.',
    '',
    'Exit codes: 0 success; 1 error; 2 bad command line; 3 refused by a policy (a failed gate, an immutable tag, a',
    'quota); 4 authentication or permission; 5 server unreachable; 6 not found.',
    '',
    'Run `berth <command> --help` for a command\'s options.',
  ].join('\n');
}

function commandHelp(c: Command, path: string): string {
  return [
    `berth ${path}: ${c.summary}`,
    '',
    `Usage: ${c.usage}`,
    ...(c.description ? ['', c.description.replace(/(.{1,110})(\s+|$)/g, '$1\n').trimEnd()] : []),
    ...(c.subcommands ? ['', 'Commands:', ...c.subcommands.map((s) => `  ${s.name.padEnd(8)}  ${s.summary}`)] : []),
    ...(Object.keys(c.options).length ? ['', 'Options:', optionHelp(c.options)] : []),
    '',
    'Options for every command:',
    optionHelp(globalOptions),
  ].join('\n');
}

/** Runs the CLI over `argv` (without node and the script) and answers the exit code; never calls process.exit. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${topHelp()}\n`);
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`berth ${version}\n`);
    return exitCodes.ok;
  }
  let command = commands.find((c) => c.name === name);
  let path = name;
  let args = rest;
  let json = argv.includes('json') && (argv.includes('--output') || argv.includes('-o'));
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; run berth --help`);
    if (command.subcommands) {
      const sub = command.subcommands.find((s) => s.name === rest[0]);
      if (!sub) {
        if (rest.includes('--help') || rest.includes('-h') || rest.length === 0) {
          io.stdout.write(`${commandHelp(command, path)}\n`);
          return rest.length === 0 ? exitCodes.usage : exitCodes.ok;
        }
        throw new UsageError(`berth ${name} has no command "${rest[0]}"; it has ${command.subcommands.map((s) => s.name).join(', ')}`);
      }
      command = sub;
      path = `${name} ${sub.name}`;
      args = rest.slice(1);
    }
    const parsed = parse(args, command.options);
    json = parsed.values.output === 'json';
    if (parsed.values.help) {
      io.stdout.write(`${commandHelp(command, path)}\n`);
      return exitCodes.ok;
    }
    const ctx = new CliContext(io, parsed.values);
    const code = await command.run!(ctx, parsed.positionals);
    return code ?? exitCodes.ok;
  } catch (err) {
    const { code, kind, message } = describe(err);
    if (json) io.stdout.write(`${JSON.stringify({ error: { kind, message, ...(isClientError(err) ? { status: err.status, code: err.code, detail: err.detail } : {}) } }, null, 2)}\n`);
    io.stderr.write(`berth: ${message}${code === exitCodes.usage && command ? `\n(see berth ${path} --help)` : ''}\n`);
    return code;
  }
}

function describe(err: unknown): { code: number; kind: string; message: string } {
  if (err instanceof UsageError) return { code: exitCodes.usage, kind: 'usage', message: err.message };
  if (isClientError(err)) {
    const hint = err.kind === 'auth' ? ' (check the credentials: berth login, or BERTH_USERNAME/BERTH_PASSWORD)' : '';
    return { code: exitCodeOf(err.kind), kind: err.kind, message: `${err.message}${hint}` };
  }
  const e = err as NodeJS.ErrnoException;
  return { code: exitCodes.error, kind: 'error', message: e?.message ?? String(err) };
}
