import { describe, expect, it } from 'vitest';
import type { PromotionLadderDoc } from '../policy/documents.ts';
import { gatesInto, routeOf, stageOfProject } from './ladder.ts';

const ladder: PromotionLadderDoc = {
  apiVersion: 'berth.dev/v1',
  kind: 'PromotionLadder',
  metadata: { name: 'default' },
  spec: {
    stages: ['dev', 'test', 'staging', 'prod'].map((name) => ({ name, project: `p-${name}` })),
    transitions: [
      { to: 'staging', gates: [{ type: 'signature', trustPolicy: 'default' }] },
      { to: 'prod', gates: [{ type: 'approval', count: 1, minRole: 'maintainer' }] },
    ],
  },
};

describe('promotion routes through a ladder', () => {
  it('goes to the next stage by default', () => {
    expect(routeOf(ladder, 'p-dev')).toMatchObject({ from: { name: 'dev' }, to: { name: 'test' }, entered: [{ name: 'test' }] });
  });

  it('enters every stage between when it skips ahead, so their gates apply', () => {
    const route = routeOf(ladder, 'p-test', 'prod');
    expect(route.entered.map((s) => s.name)).toEqual(['staging', 'prod']);
    expect(route.entered.flatMap((s) => gatesInto(ladder, s.name)).map((g) => g.type)).toEqual(['signature', 'approval']);
  });

  it('refuses going backwards, to itself, past the end, to an unknown stage, or from a project outside the ladder', () => {
    expect(() => routeOf(ladder, 'p-staging', 'dev')).toThrow('promotions only go forward');
    expect(() => routeOf(ladder, 'p-test', 'test')).toThrow('promotions only go forward');
    expect(() => routeOf(ladder, 'p-prod')).toThrow('prod is the last stage');
    expect(() => routeOf(ladder, 'p-dev', 'qa')).toThrow('has no stage named "qa"');
    expect(() => routeOf(ladder, 'elsewhere')).toThrow('not a stage of ladder default');
    expect(stageOfProject(ladder, 'p-test')?.name).toBe('test');
    expect(gatesInto(ladder, 'test')).toEqual([]);
  });
});
