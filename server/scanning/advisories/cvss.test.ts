import { describe, expect, it } from 'vitest';
import { cvssV2Score, cvssV3Score, roundup, severityFromScore } from './cvss.ts';

describe('cvssV3Score', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', 5.3],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C', 9.8],
  ])('scores %s as %d', (vector, score) => {
    expect(cvssV3Score(vector)).toBe(score);
  });

  it.each([
    ['', /must start with CVSS:3/],
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /must start with CVSS:3/],
    ['CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', /must start with CVSS:3/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', /A is missing/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H', /S is missing/],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV cannot be X/],
    ['CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV appears twice/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q', /unknown metric ZZ/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/', /bad component/],
  ])('refuses the malformed vector %j', (vector, message) => {
    expect(() => cvssV3Score(vector)).toThrow(message);
  });
});

describe('roundup', () => {
  it('rounds up to one decimal without being fooled by floating-point noise', () => {
    expect(roundup(4.02)).toBe(4.1);
    expect(roundup(4.0)).toBe(4);
    expect(roundup(4.000000000000001)).toBe(4);
    expect(roundup(9.71)).toBe(9.8);
  });
});

describe('cvssV2Score', () => {
  it.each([
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:P', 5],
    ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2],
    ['AV:N/AC:M/Au:N/C:P/I:P/A:P', 6.8],
    ['AV:L/AC:L/Au:N/C:P/I:N/A:N', 2.1],
    ['AV:N/AC:L/Au:S/C:P/I:P/A:P', 6.5],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:N', 0],
    ['(AV:N/AC:L/Au:N/C:P/I:P/A:P)', 7.5],
    ['CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC/RL:OF/RC:C', 7.5],
  ])('scores %s as %d', (vector, score) => {
    expect(cvssV2Score(vector)).toBe(score);
  });

  it.each([
    ['', /bad component/],
    ['AV:N/AC:L/C:P/I:P/A:P', /Au is missing/],
    ['AV:N/AC:L/Au:N/C:H/I:P/A:P', /C cannot be H/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /not a CVSS v2 vector/],
  ])('refuses the malformed vector %j', (vector, message) => {
    expect(() => cvssV2Score(vector)).toThrow(message);
  });
});

describe('severityFromScore', () => {
  it.each([
    [0, 'None'],
    [0.1, 'Low'],
    [3.9, 'Low'],
    [4.0, 'Medium'],
    [6.9, 'Medium'],
    [7.0, 'High'],
    [8.9, 'High'],
    [9.0, 'Critical'],
    [10, 'Critical'],
  ])('rates %d as %s', (score, severity) => {
    expect(severityFromScore(score)).toBe(severity);
  });

  it('refuses scores outside 0–10', () => {
    expect(() => severityFromScore(-1)).toThrow(/out of range/);
    expect(() => severityFromScore(10.1)).toThrow(/out of range/);
    expect(() => severityFromScore(Number.NaN)).toThrow(/out of range/);
  });
});
