import * as core from '@actions/core';
import { BerthApi } from '../../../server/client/api-client.ts';
import type { GateResult } from '../../../server/client/api-types.ts';
import { hostOf, originOf, type Endpoint } from '../../../server/client/endpoint.ts';
import { isClientError } from '../../../server/client/errors.ts';
import { parseImageRef, referenceOf } from '../../../server/client/image-ref.ts';
import { openLocalSource } from '../../../server/client/image-source/open-source.ts';
import { RegistryClient } from '../../../server/client/registry-client.ts';
import { pushImage } from '../../../server/client/transfer.ts';
import { scanAndWait, severityRank } from '../../../server/client/scan-wait.ts';
import { recordDeployment, recordGateStatus } from './github.ts';
import { readInputs, type ActionInputs } from './inputs.ts';
import { setOutputs, writeGateSummary, writeScanSummary } from './report.ts';

const failedOf = (gates: GateResult[]): string => gates.filter((g) => !g.passed).map((g) => `${g.stage}/${g.type}: ${g.reason}`).join('; ');

async function push(inputs: ActionInputs, endpoint: Endpoint): Promise<void> {
  const ref = parseImageRef(inputs.image);
  const tag = ref.tag ?? 'latest';
  const source = await openLocalSource(inputs.source!);
  const result = await pushImage(source, { client: new RegistryClient(endpoint), repository: ref.repository, tag }, {
    onEvent: (e) => {
      if (e.type === 'blob' && e.status !== 'transferring') core.info(`${e.digest} ${e.status === 'exists' ? 'already there' : e.status === 'mounted' ? `mounted from ${e.from}` : 'uploaded'}`);
    },
  });
  const host = hostOf(endpoint.url);
  setOutputs({ digest: result.digest, image: `${host}/${ref.repository}@${result.digest}` });
  core.summary.addHeading('Berth push', 3).addRaw(`<p><code>${host}/${ref.repository}:${tag}</code> is <code>${result.digest}</code>: ${result.blobs.transferred} blobs uploaded, ${result.blobs.mounted} mounted, ${result.blobs.existing} already there.</p>`, true);
  await core.summary.write();
}

async function promote(inputs: ActionInputs, api: BerthApi, host: string): Promise<void> {
  const ref = parseImageRef(inputs.image);
  const artifact = `${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
  try {
    const answer = await api.promote({ artifact, to: inputs.to, tags: inputs.tags.length ? inputs.tags : undefined, dryRun: inputs.dryRun });
    if (answer.status === 'dry-run') {
      setOutputs({ digest: answer.digest, promoted: false, gates: answer.gates });
      await writeGateSummary(`Berth promotion (dry run) to ${answer.to}`, answer.allowed ? 'Every gate passes.' : `Would be refused: ${failedOf(answer.gates)}`, answer.gates);
      if (!answer.allowed) core.setFailed(`promotion of ${artifact} to ${answer.to} would be refused: ${failedOf(answer.gates)}`);
      return;
    }
    const p = answer.promotion;
    setOutputs({ digest: p.digest, image: `${host}/${p.to.repository}@${p.digest}`, promoted: true, gates: p.gates });
    const verdict = answer.status === 'noop' ? answer.message : `Promoted from ${p.from.stage} to ${p.to.stage} as ${p.to.repository} (promotion ${p.id}).`;
    await writeGateSummary(`Berth promotion to ${p.to.stage}`, verdict, p.gates);
    if (inputs.githubToken) await recordDeployment(inputs.githubToken, inputs.environment ?? p.to.stage, true, verdict, { digest: p.digest, image: `${host}/${p.to.repository}@${p.digest}`, promotion: p.id });
  } catch (err) {
    const detail = isClientError(err) && err.kind === 'policy' ? (err.detail as { gates?: GateResult[]; to_stage?: string; promotion_id?: number } | undefined) : undefined;
    if (!detail?.gates) throw err;
    setOutputs({ promoted: false, gates: detail.gates });
    const reason = `promotion ${detail.promotion_id} of ${artifact} to ${detail.to_stage} refused: ${failedOf(detail.gates)}`;
    await writeGateSummary(`Berth promotion to ${detail.to_stage}: refused`, reason, detail.gates);
    if (inputs.githubToken) await recordDeployment(inputs.githubToken, inputs.environment ?? detail.to_stage ?? 'unknown', false, reason, { artifact, promotion: detail.promotion_id });
    core.setFailed(reason);
  }
}

async function gate(inputs: ActionInputs, api: BerthApi, host: string): Promise<void> {
  const ref = parseImageRef(inputs.image);
  const check = await api.gate(ref.repository, referenceOf(ref), inputs.stage);
  setOutputs({ digest: check.digest, image: `${host}/${ref.repository}@${check.digest}`, promoted: false, gates: check.gates });
  const verdict = check.allowed ? `Every gate of ${check.stage} passes.` : `Gates of ${check.stage} failed: ${failedOf(check.gates)}`;
  await writeGateSummary(`Berth gate: ${check.stage}`, verdict, check.gates);
  if (inputs.githubToken) await recordGateStatus(inputs.githubToken, check.allowed, verdict);
  if (!check.allowed) core.setFailed(`${ref.repository}@${check.digest}: ${verdict}`);
}

async function scan(inputs: ActionInputs, api: BerthApi, host: string): Promise<void> {
  const ref = parseImageRef(inputs.image);
  const { digest, summary, findings } = await scanAndWait(api, ref.repository, referenceOf(ref), { timeoutMs: inputs.timeoutSeconds * 1000 });
  setOutputs({ digest, image: `${host}/${ref.repository}@${digest}`, scan: { status: summary.scan_status, severity: summary.severity ?? null, summary: summary.summary ?? null, scanner: summary.scanner ?? null } });
  if (summary.scan_status !== 'Success') {
    core.setFailed(`the scan of ${ref.repository}@${digest} ended ${summary.scan_status}`);
    return;
  }
  const over = inputs.failOn ? findings.filter((f) => severityRank(f.severity) >= severityRank(inputs.failOn!)) : [];
  await writeScanSummary(`${ref.repository}@${digest}`, findings, over.length ? `${over.length} at or above ${inputs.failOn}` : 'Nothing at or above the threshold.');
  if (over.length) core.setFailed(`${ref.repository}@${digest}: ${over.length} ${over.length === 1 ? 'vulnerability' : 'vulnerabilities'} at or above ${inputs.failOn}, the worst ${over[0]!.severity} ${over[0]!.id} in ${over[0]!.package} ${over[0]!.version}`);
}

/** The Action's entry: read the inputs, run the command with the shared client, report; any error fails the step. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const endpoint: Endpoint = { url: originOf(inputs.server), credentials: { username: inputs.username, password: inputs.password }, userAgent: 'berth-action/0.1.0' };
    const host = hostOf(endpoint.url);
    if (inputs.command === 'push') await push(inputs, endpoint);
    else if (inputs.command === 'promote') await promote(inputs, new BerthApi(endpoint), host);
    else if (inputs.command === 'scan') await scan(inputs, new BerthApi(endpoint), host);
    else await gate(inputs, new BerthApi(endpoint), host);
  } catch (err) {
    core.setFailed(isClientError(err) ? `${err.kind} error: ${err.message}` : (err as Error).message);
  }
}

await run();
