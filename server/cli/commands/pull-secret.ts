import { stringify } from 'yaml';
import { positiveInt, str, UsageError } from '../args.ts';
import type { Command } from '../command.ts';

export const pullSecretCommand: Command = {
  name: 'pull-secret',
  summary: 'make a Kubernetes imagePullSecret for a project (a new pull-only robot) and the ServiceAccount patch',
  usage: 'berth pull-secret <project> [--namespace <ns>] [--name <secret>] [--service-account <sa>] [--duration <days>] [--format yaml|json]',
  description:
    'Creates a robot account that may only pull from the project and prints a kubernetes.io/dockerconfigjson Secret ' +
    'for it on stdout, ready for `kubectl apply -f -`; the ServiceAccount patch that makes pods use it goes to stderr ' +
    '(both are in --output json). Needs ProjectAdmin (robot creation) in the project.',
  options: {
    namespace: { type: 'string', short: 'n', value: 'ns', help: 'the Secret\'s namespace (default: default)' },
    name: { type: 'string', value: 'name', help: 'the Secret\'s name (default: berth-<project>-pull)' },
    'service-account': { type: 'string', value: 'sa', help: 'the ServiceAccount to patch (default: default)' },
    duration: { type: 'string', value: 'days', help: 'how long the robot lives (default 30; -1: never expires)' },
    format: { type: 'string', value: 'yaml|json', help: 'the Secret as YAML (default) or JSON' },
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('pull-secret takes a project name');
    const format = str(ctx.values.format) ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw new UsageError('--format is yaml or json');
    const api = await ctx.api();
    const made = await api.pullSecret(args[0]!, {
      namespace: str(ctx.values.namespace),
      name: str(ctx.values.name),
      service_account: str(ctx.values['service-account']),
      duration: ctx.values.duration === undefined ? undefined : positiveInt('duration', ctx.values.duration, 30, 36500),
    });
    if (ctx.json) return ctx.result(made, () => '');
    ctx.io.stdout.write(format === 'json' ? `${JSON.stringify(made.secret, null, 2)}\n` : stringify(made.secret));
    ctx.err(`# robot ${made.robot.name} (pull only)${made.robot.expires_at > 0 ? `, expires ${new Date(made.robot.expires_at * 1000).toISOString()}` : ', never expires'}`);
    ctx.err(`# make pods use it: ${made.kubectl_patch}`);
  },
};
