import * as core from '@actions/core';
import { failOnSeverities } from '../../../server/client/scan-wait.ts';

export type ActionCommand = 'push' | 'promote' | 'gate' | 'scan';

/** Everything the Action was asked to do, read and checked before any request is made. */
export interface ActionInputs {
  command: ActionCommand;
  server: string;
  username: string;
  password: string;
  /** `project/repository[:tag|@digest]`, on `server`. */
  image: string;
  /** push: the OCI layout directory, oci-archive or docker save tarball. */
  source?: string;
  /** promote: tags to give the image in the target stage. */
  tags: string[];
  /** promote: the target stage (default: the next one). */
  to?: string;
  /** gate: the stage whose gates to evaluate (default: the artifact's own). */
  stage?: string;
  dryRun: boolean;
  githubToken?: string;
  /** The deployment environment on promote (default: the target stage's name). */
  environment?: string;
  /** scan: fail the step when a finding is this severe or worse. */
  failOn?: string;
  /** scan: how long to wait for the report. */
  timeoutSeconds: number;
}

const commands: ActionCommand[] = ['push', 'promote', 'gate', 'scan'];

/** Reads the inputs (`INPUT_*` variables) through @actions/core; masks the password and the token at once. */
export function readInputs(): ActionInputs {
  const password = core.getInput('password', { required: true });
  core.setSecret(password);
  const githubToken = core.getInput('github-token') || undefined;
  if (githubToken) core.setSecret(githubToken);
  const command = core.getInput('command', { required: true }) as ActionCommand;
  if (!commands.includes(command)) throw new Error(`command must be one of ${commands.join(', ')}, not "${command}"`);
  const source = core.getInput('source') || undefined;
  if (command === 'push' && !source) throw new Error('command push needs the source input (an OCI layout, oci-archive or docker save tarball)');
  const failOn = core.getInput('fail-on').toLowerCase() || undefined;
  if (failOn !== undefined && !failOnSeverities.includes(failOn)) throw new Error(`fail-on must be one of ${failOnSeverities.join(', ')}, not "${failOn}"`);
  const timeoutSeconds = Number(core.getInput('timeout') || 600);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 86_400) throw new Error('timeout must be a number of seconds from 1 to 86400');
  return {
    command,
    server: core.getInput('server', { required: true }),
    username: core.getInput('username', { required: true }),
    password,
    image: core.getInput('image', { required: true }),
    source,
    tags: core
      .getInput('tags')
      .split(/[\s,]+/)
      .filter(Boolean),
    to: core.getInput('to') || undefined,
    stage: core.getInput('stage') || undefined,
    dryRun: core.getInput('dry-run') === 'true',
    githubToken,
    environment: core.getInput('environment') || undefined,
    failOn,
    timeoutSeconds,
  };
}
