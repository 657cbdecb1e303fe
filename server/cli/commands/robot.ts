import type { RobotPermission } from '../../client/api-types.ts';
import { ClientError } from '../../client/errors.ts';
import { list, positiveInt, str, UsageError } from '../args.ts';
import type { Command } from '../command.ts';

const accessOf = (items: string[]): RobotPermission['access'] =>
  (items.length ? items : ['repository:pull']).map((item) => {
    const m = /^([a-z-]+):([a-z-]+)$/.exec(item);
    if (!m) throw new UsageError(`--access takes resource:action (repository:pull, repository:push, artifact:delete, promotion:create, ...), not ${item}`);
    return { resource: m[1]!, action: m[2]! };
  });

const create: Command = {
  name: 'create',
  summary: 'create a robot account; its secret is printed once',
  usage: 'berth robot create <name> --project <project> [--access resource:action ...] [--duration <days>]',
  description: 'A project robot with the given access (default repository:pull). The secret is shown only in this answer; use --output json to capture it.',
  options: {
    project: { type: 'string', short: 'p', value: 'project', help: 'the project the robot belongs to' },
    access: { type: 'string', multiple: true, value: 'resource:action', help: 'what it may do (repeat); default repository:pull' },
    duration: { type: 'string', value: 'days', help: 'days until it expires (default 30; -1: never)' },
    description: { type: 'string', value: 'text', help: 'what it is for' },
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('robot create takes a name');
    const project = str(ctx.values.project);
    if (!project) throw new UsageError('give the project with --project');
    const api = await ctx.api();
    const made = await api.createRobot({
      name: args[0]!,
      description: str(ctx.values.description),
      level: 'project',
      duration: positiveInt('duration', ctx.values.duration, 30, 36500),
      permissions: [{ kind: 'project', namespace: project, access: accessOf(list(ctx.values.access)) }],
    });
    ctx.result(made, () => [`created ${made.name} (id ${made.id})${made.expires_at > 0 ? `, expires ${new Date(made.expires_at * 1000).toISOString()}` : ''}`, `secret: ${made.secret}`, '(the secret is not shown again)']);
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'list robot accounts (all, or a project\'s)',
  usage: 'berth robot list [--project <project>]',
  options: { project: { type: 'string', short: 'p', value: 'project', help: 'only this project\'s robots' } },
  async run(ctx) {
    const api = await ctx.api();
    const project = str(ctx.values.project);
    const robots = await api.listRobots(project ? { level: 'project', projectId: (await api.project(project)).project_id } : {});
    ctx.result(robots, () => [
      'ID     NAME                                     LEVEL    EXPIRES                   STATE',
      ...robots.map((r) => `${String(r.id).padEnd(6)} ${r.name.padEnd(40)} ${r.level.padEnd(8)} ${(r.expires_at > 0 ? new Date(r.expires_at * 1000).toISOString() : 'never').padEnd(25)} ${r.disable ? 'disabled' : 'enabled'}`),
    ]);
  },
};

const remove: Command = {
  name: 'delete',
  summary: 'delete a robot account by id or name',
  usage: 'berth robot delete <id|name>',
  options: {},
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('robot delete takes an id or a name');
    const api = await ctx.api();
    let id = /^\d+$/.test(args[0]!) ? Number(args[0]) : undefined;
    if (id === undefined) {
      const found = (await api.listRobots()).find((r) => r.name === args[0]);
      if (!found) throw new ClientError('not-found', `no robot named ${args[0]}`);
      id = found.id;
    }
    await api.deleteRobot(id);
    ctx.result({ deleted: id }, () => `deleted robot ${args[0]}`);
  },
};

export const robotCommand: Command = {
  name: 'robot',
  summary: 'create, list and delete robot accounts',
  usage: 'berth robot <create|list|delete> ...',
  options: {},
  subcommands: [create, listCmd, remove],
};
