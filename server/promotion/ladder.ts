import { BerthError } from '../core/errors.ts';
import type { Gate, LadderStage, PromotionLadderDoc } from '../policy/documents.ts';

/** Where a promotion goes: the source stage, the target stage, and every stage entered on the way (their gates apply). */
export interface Route {
  from: LadderStage;
  to: LadderStage;
  /** The stages entered, in order, the target last (more than one when a promotion skips ahead). */
  entered: LadderStage[];
}

/** The stage a project is in, or undefined. */
export const stageOfProject = (ladder: PromotionLadderDoc, project: string): LadderStage | undefined => ladder.spec.stages.find((s) => s.project === project);

/**
 * The route from the project's stage to `to` (a stage name) or, without it, to the next stage. Skipping ahead is
 * allowed, but the gates of every stage passed on the way apply, so it is never a way around one.
 */
export function routeOf(ladder: PromotionLadderDoc, project: string, to?: string): Route {
  const stages = ladder.spec.stages;
  const at = stages.findIndex((s) => s.project === project);
  if (at < 0) throw new BerthError('PRECONDITION', `project ${project} is not a stage of ladder ${ladder.metadata.name}`);
  let target: number;
  if (to === undefined) {
    target = at + 1;
    if (target >= stages.length) throw new BerthError('PRECONDITION', `${stages[at]!.name} is the last stage of ladder ${ladder.metadata.name}; there is nowhere to promote to`);
  } else {
    target = stages.findIndex((s) => s.name === to);
    if (target < 0) throw new BerthError('BAD_REQUEST', `ladder ${ladder.metadata.name} has no stage named "${to.slice(0, 100)}"; its stages are ${stages.map((s) => s.name).join(', ')}`);
    if (target <= at) throw new BerthError('BAD_REQUEST', `stage ${to} does not come after ${stages[at]!.name} in ladder ${ladder.metadata.name}; promotions only go forward`);
  }
  return { from: stages[at]!, to: stages[target]!, entered: stages.slice(at + 1, target + 1) };
}

/** The gates guarding entry into a stage. */
export const gatesInto = (ladder: PromotionLadderDoc, stage: string): Gate[] => ladder.spec.transitions?.find((t) => t.to === stage)?.gates ?? [];
