import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePolicyDocument, type PolicyProblem } from './validate.ts';

const root = new URL('../../policies/', import.meta.url);
const read = (dir: string): Array<{ file: string; text: string }> =>
  readdirSync(new URL(dir, root))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, text: readFileSync(new URL(`${dir}${file}`, root), 'utf8') }));
const valid = read('examples/valid/');
const invalid = read('examples/invalid/');
const expectedPaths = (text: string): string[] => [...text.matchAll(/^# expect: (\S*)$/gm)].map((m) => m[1]!);
const problemsOf = (doc: unknown): PolicyProblem[] => {
  const result = validatePolicyDocument(doc);
  return result.ok ? [] : result.problems;
};

/** The schemas in policies/schemas, their examples, and the messages a user sees when a document is refused. */
describe('policy documents', () => {
  it('has valid and invalid examples for every document kind', () => {
    const kinds = readdirSync(new URL('schemas/', root))
      .map((f) => JSON.parse(readFileSync(new URL(`schemas/${f}`, root), 'utf8')) as { properties?: { kind?: { const?: string } } })
      .map((s) => s.properties?.kind?.const)
      .filter((k): k is string => k !== undefined);
    expect(kinds.sort()).toEqual(['PromotionLadder', 'TrustPolicy']);
    const kindOf = (text: string) => (parse(text) as { kind?: string }).kind;
    for (const kind of kinds) {
      expect(valid.filter((e) => kindOf(e.text) === kind).length, kind).toBeGreaterThanOrEqual(2);
      expect(invalid.filter((e) => kindOf(e.text) === kind).length, kind).toBeGreaterThanOrEqual(3);
    }
    // Every gate type appears in a valid example.
    const gateTypes = new Set(valid.flatMap((e) => ((parse(e.text) as { spec: { transitions?: Array<{ gates: Array<{ type: string }> }> } }).spec.transitions ?? []).flatMap((t) => t.gates.map((g) => g.type))));
    expect([...gateTypes].sort()).toEqual(['approval', 'labels', 'referrer', 'signature', 'vulnerability']);
  });

  it.each(valid)('accepts examples/valid/$file as it is', ({ text }) => {
    const doc = parse(text) as unknown;
    const result = validatePolicyDocument(doc);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (result.ok) expect(result.document).toEqual(doc);
  });

  it.each(invalid)('refuses examples/invalid/$file at the paths it names', ({ text }) => {
    const expected = expectedPaths(text);
    expect(expected.length).toBeGreaterThan(0);
    const problems = problemsOf(parse(text));
    expect(problems.length).toBeGreaterThan(0);
    for (const path of expected) expect(problems.map((p) => p.path), path).toContain(path);
    for (const p of problems) expect(p.message).toMatch(/\S/);
  });

  it('accepts the default ladder', () => {
    const ladder = parse(readFileSync(new URL('defaults/promotion-ladder.yaml', root), 'utf8')) as { spec: { stages: Array<{ name: string }> } };
    expect(problemsOf(ladder)).toEqual([]);
    expect(ladder.spec.stages.map((s) => s.name)).toEqual(['dev', 'test', 'staging', 'prod']);
  });

  const ladder = (gates: unknown[], extra: Record<string, unknown> = {}) => ({
    apiVersion: 'berth.dev/v1',
    kind: 'PromotionLadder',
    metadata: { name: 'l' },
    spec: { stages: [{ name: 'a', project: 'a' }, { name: 'b', project: 'b', ...extra }], transitions: [{ to: 'b', gates }] },
  });

  it('says what is wrong in words a user can act on', () => {
    expect(problemsOf(ladder([{ type: 'vulnerability', maxSeverity: 'Severe' }]))).toEqual([
      { path: '/spec/transitions/0/gates/0/maxSeverity', message: 'must be one of None, Unknown, Negligible, Low, Medium, High, Critical' },
    ]);
    expect(problemsOf(ladder([], { colour: 'blue' }))).toEqual([{ path: '/spec/stages/1/colour', message: 'unknown property "colour"' }]);
    // A gate of a known type reports only its own schema's problems, not every other type's.
    expect(problemsOf(ladder([{ type: 'approval', count: 2 }]))).toEqual([{ path: '/spec/transitions/0/gates/0/minRole', message: 'is required' }]);
    expect(problemsOf(ladder([{ type: 'coffee' }]))).toEqual([{ path: '/spec/transitions/0/gates/0/type', message: 'must be one of signature, vulnerability, approval, referrer, labels' }]);
    expect(problemsOf(null)).toEqual([{ path: '', message: 'must be an object (a policy document)' }]);
    expect(problemsOf([])).toEqual([{ path: '', message: 'must be an object (a policy document)' }]);
    expect(problemsOf({ apiVersion: 'berth.dev/v1' })).toEqual([{ path: '/kind', message: 'must be one of TrustPolicy, PromotionLadder' }]);
  });

  it('names the type of a key it will not verify with', () => {
    const text = invalid.find((e) => e.file === 'trust-weak-and-garbage-keys.yaml')!.text;
    const messages = Object.fromEntries(problemsOf(parse(text)).map((p) => [p.path, p.message]));
    expect(messages['/spec/keys/0/publicKey']).toBe('is an RSA key of 1024 bits; at least 2048 are required');
    expect(messages['/spec/keys/1/publicKey']).toBe('is an ECDSA key on curve secp256k1; P-256, P-384 and P-521 are supported');
    expect(messages['/spec/keys/2/publicKey']).toBe('is not a readable PEM public key');
    expect(messages['/spec/keys/3/name']).toBe('key "old-rsa" appears twice (first at index 0)');
    const leaked = problemsOf(parse(invalid.find((e) => e.file === 'trust-private-key.yaml')!.text));
    expect(leaked[1]).toEqual({ path: '/spec/keys/0/publicKey', message: 'is a private key; give the public key only (a trust policy never holds secrets)' });
  });

  it('caps the problems it lists', () => {
    const stages = Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, project: `p${i}`, x: 1, y: 2, z: 3 }));
    const problems = problemsOf({ apiVersion: 'berth.dev/v1', kind: 'PromotionLadder', metadata: { name: 'big' }, spec: { stages } });
    expect(problems).toHaveLength(50);
  });
});
