import type { GateResult } from '../../client/api-types.ts';
import { isClientError } from '../../client/errors.ts';
import { formatImageRef, referenceOf } from '../../client/image-ref.ts';
import { list, str, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import type { CliContext, ResolvedImage } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { gateTable } from '../gate-table.ts';

const artifactOf = (image: ResolvedImage): string => `${image.ref.repository}${image.ref.digest ? `@${image.ref.digest}` : `:${image.ref.tag ?? 'latest'}`}`;

interface RefusalDetail {
  promotion_id?: number;
  from_stage?: string;
  to_stage?: string;
  gates?: GateResult[];
}

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'promote an artifact by digest to the next (or a named) stage, through that stage\'s gates',
  usage: 'berth promote <image> [--to <stage>] [--tag <tag> ...] [--dry-run]',
  description:
    'Prints each gate\'s result. Exit code 0: promoted (or already there: nothing to do); 3: a gate refused (the ' +
    'promotion is recorded as blocked with every gate); other codes: the request failed (see berth --help). With ' +
    '--dry-run the gates are evaluated and nothing is moved or recorded; the exit code says whether it would pass.',
  options: {
    to: { type: 'string', value: 'stage', help: 'the stage to promote to (default: the next one)' },
    tag: { type: 'string', multiple: true, value: 'tag', help: 'tags to give it in the target stage (default: the tag it was named by)' },
    'dry-run': { type: 'boolean', help: 'evaluate the gates only' },
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('promote takes one image: berth promote dev/app:1.4 [--to prod]');
    const image = await ctx.image(args[0]);
    const api = await ctx.api(image.origin);
    const tags = list(ctx.values.tag);
    try {
      const answer = await api.promote({ artifact: artifactOf(image), to: str(ctx.values.to), tags: tags.length ? tags : undefined, dryRun: ctx.values['dry-run'] === true });
      if (answer.status === 'dry-run') {
        ctx.result({ promoted: false, ...answer }, () => [`dry run: ${artifactOf(image)} from ${answer.from} to ${answer.to} would be ${answer.allowed ? 'allowed' : 'REFUSED'}`, ...gateTable(answer.gates)]);
        return answer.allowed ? exitCodes.ok : exitCodes.refused;
      }
      const p = answer.promotion;
      const target = `${image.host}/${p.to.repository}@${p.digest}`;
      ctx.result({ promoted: true, status: answer.status, image: target, digest: p.digest, tags: p.tags, promotion: p }, () => [
        answer.status === 'noop' ? `nothing to do: ${answer.message}` : `promoted ${p.from.repository}@${p.digest} from ${p.from.stage} to ${p.to.stage} as ${p.to.repository}${p.tags.length ? `:${p.tags.join(', :')}` : ''} (promotion ${p.id})`,
        ...gateTable(p.gates),
      ]);
      return exitCodes.ok;
    } catch (err) {
      if (!isClientError(err) || err.kind !== 'policy' || !(err.detail as RefusalDetail | undefined)?.gates) throw err;
      const detail = err.detail as RefusalDetail;
      ctx.result({ promoted: false, status: 'refused', artifact: formatImageRef({ ...image.ref, host: image.host }), promotion_id: detail.promotion_id, from: detail.from_stage, to: detail.to_stage, gates: detail.gates, message: err.message }, () => [
        `REFUSED: promotion ${detail.promotion_id} of ${artifactOf(image)} from ${detail.from_stage} to ${detail.to_stage}`,
        ...gateTable(detail.gates!),
      ]);
      return exitCodes.refused;
    }
  },
};

export const gateCommand: Command = {
  name: 'gate',
  summary: 'evaluate a stage\'s gates for an artifact without promoting it: the check a deploy job runs',
  usage: 'berth gate <image> [--stage <stage>]',
  description:
    'Evaluates, now, the gates that guard the stage (default: the stage the artifact is in): signatures against the ' +
    'trust policy, the latest scan report, approvals. Nothing is moved or recorded. Exit code 0: every gate passes; ' +
    '3: a gate fails (each is printed with its reason); other codes: the check itself failed.',
  options: { stage: { type: 'string', value: 'stage', help: 'the stage whose gates to evaluate' } },
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('gate takes one image: berth gate prod/app:1.4');
    const image = await ctx.image(args[0]);
    const api = await ctx.api(image.origin);
    const check = await api.gate(image.ref.repository, referenceOf(image.ref), str(ctx.values.stage));
    ctx.result({ passed: check.allowed, image: `${image.host}/${image.ref.repository}@${check.digest}`, ...check }, () => [
      `${check.allowed ? 'PASSED' : 'FAILED'}: gates of stage ${check.stage} (ladder ${check.ladder.name} v${check.ladder.version}) for ${image.ref.repository}@${check.digest}`,
      ...gateTable(check.gates),
    ]);
    return check.allowed ? exitCodes.ok : exitCodes.refused;
  },
};

export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve an artifact for the next (or a named) stage',
  usage: 'berth approve <image> [--stage <stage>] [--comment <text>]',
  description: 'Needs Developer or above in the stage\'s project; the artifact\'s pusher never counts toward its own approval gate.',
  options: {
    stage: { type: 'string', value: 'stage', help: 'the stage the approval is for (default: the next one)' },
    comment: { type: 'string', value: 'text', help: 'why' },
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new UsageError('approve takes one image');
    const image = await ctx.image(args[0]);
    const api = await ctx.api(image.origin);
    const approval = await api.approve(image.ref.repository, referenceOf(image.ref), { stage: str(ctx.values.stage), comment: str(ctx.values.comment) });
    ctx.result(approval, () => `approved ${image.ref.repository}@${approval.digest} for ${approval.stage} as ${approval.approver} (approval ${approval.id})`);
  },
};

export type { CliContext };
