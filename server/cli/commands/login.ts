import { authFileForWrite, storeCredentials } from '../../client/auth-file.ts';
import { hostOf, originOf } from '../../client/endpoint.ts';
import { str, UsageError } from '../args.ts';
import { writeConfig, readConfig } from '../cli-config.ts';
import type { Command } from '../command.ts';
import type { CliContext } from '../context.ts';

async function readStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks for the password on a terminal without echoing it. */
async function prompt(ctx: CliContext, question: string): Promise<string> {
  const stdin = ctx.io.stdin as NodeJS.ReadStream;
  ctx.io.stderr.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  let answer = '';
  try {
    for await (const chunk of stdin) {
      for (const ch of chunk.toString('utf8') as string) {
        if (ch === '\r' || ch === '\n') return answer;
        if (ch === '\u0003') throw new UsageError('cancelled');
        if (ch === '\u007f') answer = answer.slice(0, -1);
        else answer += ch;
      }
    }
    return answer;
  } finally {
    stdin.setRawMode?.(false);
    stdin.pause();
    ctx.io.stderr.write('\n');
  }
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'sign in to a Berth server and store the credentials for every container tool',
  usage: 'berth login [server] -u <user> --password-stdin',
  description:
    'Checks the credentials against the registry\'s token service, then stores them in the docker/containers auth file ' +
    '(so docker, podman, skopeo, buildah, helm and oras use them too) and remembers the server as the default for later ' +
    'commands. The password is read from stdin with --password-stdin, or asked for on a terminal; it is never taken as an argument.',
  options: {
    username: { type: 'string', short: 'u', value: 'user', help: 'the user or robot name (robot accounts: robot$...)' },
    'password-stdin': { type: 'boolean', help: 'read the password from stdin' },
  },
  async run(ctx, args) {
    const named = args[0] || str(ctx.values.server) || ctx.io.env.BERTH_SERVER;
    if (!named) throw new UsageError('name the server: berth login <host[:port]>');
    const origin = originOf(named, ctx.plainHttp);
    const username = str(ctx.values.username) || ctx.io.env.BERTH_USERNAME;
    if (!username) throw new UsageError('give the user with -u <user>');
    let password: string;
    if (ctx.values['password-stdin']) password = await readStdin(ctx);
    else if (ctx.io.stdin.isTTY) password = await prompt(ctx, `Password for ${username}@${hostOf(origin)}: `);
    else if (ctx.io.env.BERTH_PASSWORD) password = ctx.io.env.BERTH_PASSWORD;
    else throw new UsageError('no password: pipe it in with --password-stdin (passwords are never taken as arguments)');
    if (!password) throw new UsageError('the password is empty');
    const client = await ctx.registry(origin, { username, password });
    await client.ping();
    const file = authFileForWrite(str(ctx.values.authfile), ctx.io.env);
    await storeCredentials(file, hostOf(origin), { username, password });
    await writeConfig(ctx.io.env, { ...(await readConfig(ctx.io.env)), server: origin });
    ctx.result({ server: origin, username, authfile: file }, () => `Login Succeeded: ${username} at ${hostOf(origin)} (credentials in ${file})`);
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'remove the stored credentials for a server',
  usage: 'berth logout [server]',
  options: {},
  async run(ctx, args) {
    const origin = args[0] ? originOf(args[0], ctx.plainHttp) : await ctx.server();
    const file = authFileForWrite(str(ctx.values.authfile), ctx.io.env);
    const had = await storeCredentials(file, hostOf(origin), undefined);
    ctx.result({ server: origin, removed: had, authfile: file }, () => (had ? `Removed the credentials for ${hostOf(origin)} from ${file}` : `No credentials for ${hostOf(origin)} in ${file}`));
  },
};
