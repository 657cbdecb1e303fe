import { describe, expect, it } from 'vitest';
import { parseOsv } from './osv.ts';

const ghsa = {
  schema_version: '1.6.0',
  id: 'GHSA-aaaa-bbbb-cccc',
  modified: '2024-03-01T12:00:00Z',
  published: '2024-02-01T00:00:00.123Z',
  aliases: ['CVE-2024-0001'],
  summary: 'Prototype pollution in lodash',
  details: 'Longer text',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      database_specific: { source: 'x' },
    },
    {
      package: { ecosystem: 'Debian:12', name: 'node-lodash' },
      versions: ['4.17.20+dfsg-1'],
      ranges: [{ type: 'GIT', repo: 'https://github.com/lodash/lodash', events: [{ introduced: 'abc' }, { limit: 'def' }] }],
      ecosystem_specific: { urgency: 'low' },
    },
  ],
  references: [{ type: 'ADVISORY', url: 'https://example.test/a' }],
  database_specific: { severity: 'CRITICAL', cwe_ids: ['CWE-1321'] },
  somethingElse: true,
};

const withChange = (change: (doc: Record<string, unknown>) => void): unknown => {
  const doc = structuredClone(ghsa) as Record<string, unknown>;
  change(doc);
  return doc;
};

describe('parseOsv', () => {
  it('returns a typed advisory with the documented fields and drops unknown ones', () => {
    const adv = parseOsv(ghsa);
    expect(adv.id).toBe('GHSA-aaaa-bbbb-cccc');
    expect(adv.aliases).toEqual(['CVE-2024-0001']);
    expect(adv.affected?.[0]?.ranges?.[0]?.events).toEqual([{ introduced: '0' }, { fixed: '4.17.21' }]);
    expect(adv.affected?.[1]?.package).toEqual({ ecosystem: 'Debian:12', name: 'node-lodash' });
    expect(adv.affected?.[1]?.ecosystem_specific).toEqual({ urgency: 'low' });
    expect(adv.database_specific?.severity).toBe('CRITICAL');
    expect(adv).not.toHaveProperty('somethingElse');
    expect(adv).not.toHaveProperty('withdrawn');
  });

  it('accepts a minimal advisory with only id and modified', () => {
    expect(parseOsv({ id: 'DSA-1', modified: '2024-01-01T00:00:00Z' })).toEqual({ id: 'DSA-1', modified: '2024-01-01T00:00:00Z' });
  });

  it.each([
    ['a non-object document', (): unknown => 'nope', 'advisory must be an object'],
    ['an array document', (): unknown => [], 'advisory must be an object'],
    ['a missing id', () => withChange((d) => delete d.id), 'id is missing'],
    ['an empty id', () => withChange((d) => (d.id = '')), 'id must not be empty'],
    ['a missing modified', () => withChange((d) => delete d.modified), 'modified is missing'],
    ['a modified that is not a timestamp', () => withChange((d) => (d.modified = 'yesterday')), 'modified must be an RFC 3339 timestamp'],
    ['aliases that are not strings', () => withChange((d) => (d.aliases = ['CVE-1', 2])), 'aliases[1] must be a string'],
    ['a package without a name', () => withChange((d) => delete (d.affected as Array<{ package: Record<string, unknown> }>)[0]!.package.name), 'affected[0].package.name is missing'],
    ['a package without an ecosystem', () => withChange((d) => delete (d.affected as Array<{ package: Record<string, unknown> }>)[1]!.package.ecosystem), 'affected[1].package.ecosystem is missing'],
    ['an affected entry without a package', () => withChange((d) => (d.affected = [{}])), 'affected[0].package is missing'],
    ['affected that is not an array', () => withChange((d) => (d.affected = {})), 'affected must be an array'],
    ['an unknown range type', () => withChange((d) => ((d.affected as Array<{ ranges: Array<Record<string, unknown>> }>)[0]!.ranges[0]!.type = 'DATE')), 'affected[0].ranges[0].type must be one of ECOSYSTEM, SEMVER, GIT'],
    ['an event with two kinds', () => withChange((d) => ((d.affected as Array<{ ranges: Array<{ events: unknown[] }> }>)[0]!.ranges[0]!.events[1] = { fixed: '1', introduced: '0' })), 'affected[0].ranges[0].events[1] must have exactly one of'],
    ['an event with no known kind', () => withChange((d) => ((d.affected as Array<{ ranges: Array<{ events: unknown[] }> }>)[0]!.ranges[0]!.events[1] = { patched: '1' })), 'affected[0].ranges[0].events[1] must have exactly one of'],
    ['a range without introduced', () => withChange((d) => ((d.affected as Array<{ ranges: Array<{ events: unknown[] }> }>)[0]!.ranges[0]!.events = [{ fixed: '1' }])), 'affected[0].ranges[0].events must contain an introduced event'],
    ['a range without events', () => withChange((d) => delete (d.affected as Array<{ ranges: Array<Record<string, unknown>> }>)[0]!.ranges[0]!.events), 'affected[0].ranges[0].events is missing'],
    ['a GIT range without repo', () => withChange((d) => delete (d.affected as Array<{ ranges: Array<Record<string, unknown>> }>)[1]!.ranges[0]!.repo), 'affected[1].ranges[0].repo is missing'],
    ['an unknown severity type', () => withChange((d) => (d.severity = [{ type: 'CVSS_V9', score: 'x' }])), 'severity[0].type must be one of CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu'],
    ['a severity without score', () => withChange((d) => (d.severity = [{ type: 'CVSS_V3' }])), 'severity[0].score is missing'],
    ['a reference without url', () => withChange((d) => (d.references = [{ type: 'WEB' }])), 'references[0].url is missing'],
    ['database_specific that is not an object', () => withChange((d) => (d.database_specific = 'high')), 'database_specific must be an object'],
    ['a versions list with a number', () => withChange((d) => ((d.affected as Array<Record<string, unknown>>)[1]!.versions = [1])), 'affected[1].versions[0] must be a string'],
  ])('refuses %s, saying what is wrong', (_what, doc, message) => {
    expect(() => parseOsv(doc())).toThrow(message);
  });
});
