import * as core from '@actions/core';
import { Octokit } from '@octokit/rest';

/** The repository and commit the workflow runs for, from GitHub's own variables. */
function context(): { owner: string; repo: string; sha: string; runUrl?: string } {
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
  const sha = process.env.GITHUB_SHA ?? '';
  if (!owner || !repo || !sha) throw new Error('GITHUB_REPOSITORY and GITHUB_SHA are not set; the deployment and status calls need them');
  const server = process.env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runUrl = process.env.GITHUB_RUN_ID ? `${server}/${owner}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID}` : undefined;
  return { owner, repo, sha, runUrl };
}

const client = (token: string): Octokit => new Octokit({ auth: token, baseUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com', userAgent: 'berth-action/0.1.0' });

/** A deployment of the commit to the stage's environment, and its status (success when promoted, failure when refused). */
export async function recordDeployment(token: string, environment: string, promoted: boolean, description: string, payload: Record<string, unknown>): Promise<number> {
  const { owner, repo, sha, runUrl } = context();
  const gh = client(token);
  const created = await gh.rest.repos.createDeployment({ owner, repo, ref: sha, environment, auto_merge: false, required_contexts: [], payload: JSON.stringify(payload), description: description.slice(0, 140) });
  const id = (created.data as { id: number }).id;
  await gh.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: id, state: promoted ? 'success' : 'failure', description: description.slice(0, 140), environment, ...(runUrl ? { log_url: runUrl } : {}) });
  core.info(`GitHub deployment ${id} to ${environment}: ${promoted ? 'success' : 'failure'}`);
  return id;
}

/** The commit status `berth/gate` with the gate verdict. */
export async function recordGateStatus(token: string, passed: boolean, description: string): Promise<void> {
  const { owner, repo, sha, runUrl } = context();
  await client(token).rest.repos.createCommitStatus({ owner, repo, sha, state: passed ? 'success' : 'failure', context: 'berth/gate', description: description.slice(0, 140), ...(runUrl ? { target_url: runUrl } : {}) });
  core.info(`commit status berth/gate: ${passed ? 'success' : 'failure'}`);
}
