/**
 * CVSS base scores from vector strings (FIRST specifications v2.0, v3.0 and v3.1), and the
 * severity names Harbor uses for a score.
 */

type Weights = Record<string, Record<string, number>>;

/** v3 base metric weights (identical in 3.0 and 3.1); PR depends on scope and is handled apart. */
const v3Weights: Weights = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};
const v3PrivilegesRequired = { U: { N: 0.85, L: 0.62, H: 0.27 }, C: { N: 0.85, L: 0.68, H: 0.5 } } as const;

/** Temporal and environmental metrics a v3 vector may carry; they do not change the base score. */
const v3OptionalMetrics: Record<string, string[]> = {
  E: ['X', 'U', 'P', 'F', 'H'],
  RL: ['X', 'O', 'T', 'W', 'U'],
  RC: ['X', 'U', 'R', 'C'],
  CR: ['X', 'L', 'M', 'H'],
  IR: ['X', 'L', 'M', 'H'],
  AR: ['X', 'L', 'M', 'H'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'N', 'L', 'H'],
  MI: ['X', 'N', 'L', 'H'],
  MA: ['X', 'N', 'L', 'H'],
};

const v2Weights: Weights = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  C: { N: 0, P: 0.275, C: 0.66 },
  I: { N: 0, P: 0.275, C: 0.66 },
  A: { N: 0, P: 0.275, C: 0.66 },
};

const v2OptionalMetrics: Record<string, string[]> = {
  E: ['U', 'POC', 'F', 'H', 'ND'],
  RL: ['OF', 'TF', 'W', 'U', 'ND'],
  RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
  TD: ['N', 'L', 'M', 'H', 'ND'],
  CR: ['L', 'M', 'H', 'ND'],
  IR: ['L', 'M', 'H', 'ND'],
  AR: ['L', 'M', 'H', 'ND'],
};

/** Split `K:V/K:V` into a map, refusing repeated or unknown metrics and unknown values. */
function metrics(vector: string, body: string, required: Weights, optional: Record<string, string[]>, extra: Record<string, string[]> = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of body.split('/')) {
    const m = /^([A-Za-z]+):([A-Z]+)$/.exec(part);
    if (m === null) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: bad component ${JSON.stringify(part)}`);
    const [, key = '', value = ''] = m;
    if (out.has(key)) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: ${key} appears twice`);
    const allowed = required[key] !== undefined ? Object.keys(required[key]) : (extra[key] ?? optional[key]);
    if (allowed === undefined) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: unknown metric ${key}`);
    if (!allowed.includes(value)) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: ${key} cannot be ${value}`);
    out.set(key, value);
  }
  for (const key of [...Object.keys(required), ...Object.keys(extra)]) {
    if (!out.has(key)) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: ${key} is missing`);
  }
  return out;
}

/**
 * CVSS 3.1 Roundup: the smallest one-decimal number at or above the input, computed on
 * integers so that floating-point noise (e.g. 4.000000000000001) does not push it up a tenth.
 * The 3.0 definition is the same function without that safeguard, so it serves both versions.
 */
export function roundup(input: number): number {
  const scaled = Math.round(input * 100000);
  if (scaled % 10000 === 0) return scaled / 100000;
  return (Math.floor(scaled / 10000) + 1) / 10;
}

/** Compute the CVSS v3.0 or v3.1 base score of a vector like `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`. */
export function cvssV3Score(vector: string): number {
  const m = /^CVSS:3\.[01]\/(.+)$/.exec(vector.trim());
  if (m === null) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: must start with CVSS:3.0/ or CVSS:3.1/`);
  const v = metrics(vector, m[1] ?? '', v3Weights, v3OptionalMetrics, { S: ['U', 'C'], PR: ['N', 'L', 'H'] });
  const w = (key: string): number => v3Weights[key]?.[v.get(key) ?? ''] ?? 0;
  const scope = v.get('S') === 'C' ? 'C' : 'U';
  const pr = v3PrivilegesRequired[scope][(v.get('PR') ?? 'N') as 'N' | 'L' | 'H'];
  const iss = 1 - (1 - w('C')) * (1 - w('I')) * (1 - w('A'));
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * w('AV') * w('AC') * pr * w('UI');
  if (impact <= 0) return 0;
  return scope === 'U' ? roundup(Math.min(impact + exploitability, 10)) : roundup(Math.min(1.08 * (impact + exploitability), 10));
}

/** Compute the CVSS v2 base score of a vector like `AV:N/AC:L/Au:N/C:P/I:P/A:P` (NVD's parentheses and a `CVSS:2.0/` prefix are accepted). */
export function cvssV2Score(vector: string): number {
  let body = vector.trim();
  if (body.startsWith('(') && body.endsWith(')')) body = body.slice(1, -1);
  if (body.startsWith('CVSS:2.0/')) body = body.slice('CVSS:2.0/'.length);
  if (body.startsWith('CVSS:')) throw new Error(`malformed CVSS vector ${JSON.stringify(vector)}: not a CVSS v2 vector`);
  const v = metrics(vector, body, v2Weights, v2OptionalMetrics);
  const w = (key: string): number => v2Weights[key]?.[v.get(key) ?? ''] ?? 0;
  const impact = 10.41 * (1 - (1 - w('C')) * (1 - w('I')) * (1 - w('A')));
  const exploitability = 20 * w('AV') * w('AC') * w('Au');
  const f = impact === 0 ? 0 : 1.176;
  const score = (0.6 * impact + 0.4 * exploitability - 1.5) * f;
  // v2 rounds to one decimal (half up); the epsilon absorbs floating-point noise below .x5.
  return Math.max(0, Math.round(score * 10 + 1e-9) / 10);
}

/** Harbor's severity for a CVSS score: 0 None, 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10 Critical. */
export function severityFromScore(score: number): 'None' | 'Low' | 'Medium' | 'High' | 'Critical' {
  if (!Number.isFinite(score) || score < 0 || score > 10) throw new Error(`CVSS score out of range: ${score}`);
  if (score === 0) return 'None';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}
