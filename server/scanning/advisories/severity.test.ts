import { describe, expect, it } from 'vitest';
import type { OsvAdvisory, OsvAffected } from './osv.ts';
import { advisorySeverity, severityFromText } from './severity.ts';

const v31Critical = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const v31Medium = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';
const v2High = 'AV:N/AC:L/Au:N/C:P/I:P/A:P';
const base: OsvAdvisory = { id: 'X-1', modified: '2024-01-01T00:00:00Z' };
const pkg = (extra: Partial<OsvAffected> = {}): OsvAffected => ({ package: { ecosystem: 'Debian:12', name: 'openssl' }, ...extra });

describe('advisorySeverity', () => {
  it('scores a top-level CVSS v3 vector and keeps it', () => {
    const adv = { ...base, severity: [{ type: 'CVSS_V3' as const, score: v31Critical }] };
    expect(advisorySeverity(adv)).toEqual({ severity: 'Critical', cvss: { score_v3: 9.8, vector_v3: v31Critical } });
  });

  it("prefers the affected package's vector to the advisory's", () => {
    const adv = { ...base, severity: [{ type: 'CVSS_V3' as const, score: v31Critical }] };
    const affected = pkg({ severity: [{ type: 'CVSS_V3', score: v31Medium }] });
    expect(advisorySeverity(adv, affected)).toEqual({ severity: 'Medium', cvss: { score_v3: 5.5, vector_v3: v31Medium } });
  });

  it('uses CVSS v3 over v2 but returns both', () => {
    const adv = { ...base, severity: [{ type: 'CVSS_V2' as const, score: v2High }, { type: 'CVSS_V3' as const, score: v31Medium }] };
    expect(advisorySeverity(adv)).toEqual({ severity: 'Medium', cvss: { score_v3: 5.5, vector_v3: v31Medium, score_v2: 7.5, vector_v2: v2High } });
  });

  it('falls back to CVSS v2', () => {
    const adv = { ...base, severity: [{ type: 'CVSS_V2' as const, score: v2High }] };
    expect(advisorySeverity(adv)).toEqual({ severity: 'High', cvss: { score_v2: 7.5, vector_v2: v2High } });
  });

  it('skips a malformed vector in favour of the next usable one', () => {
    const adv = { ...base, severity: [{ type: 'CVSS_V3' as const, score: 'CVSS:3.1/AV:N' }, { type: 'CVSS_V2' as const, score: v2High }] };
    expect(advisorySeverity(adv)).toEqual({ severity: 'High', cvss: { score_v2: 7.5, vector_v2: v2High } });
  });

  it("uses GitHub's textual severity when only a CVSS v4 vector is given", () => {
    const adv: OsvAdvisory = {
      ...base,
      severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }],
      database_specific: { severity: 'MODERATE' },
    };
    expect(advisorySeverity(adv)).toEqual({ severity: 'Medium' });
  });

  it("maps Debian's urgency", () => {
    expect(advisorySeverity(base, pkg({ ecosystem_specific: { urgency: 'unimportant' } })).severity).toBe('Negligible');
    expect(advisorySeverity(base, pkg({ ecosystem_specific: { urgency: 'low' } })).severity).toBe('Low');
    expect(advisorySeverity(base, pkg({ ecosystem_specific: { urgency: 'medium' } })).severity).toBe('Medium');
    expect(advisorySeverity(base, pkg({ ecosystem_specific: { urgency: 'high' } })).severity).toBe('High');
    expect(advisorySeverity(base, pkg({ ecosystem_specific: { urgency: 'not yet assigned' } })).severity).toBe('Unknown');
  });

  it("uses Ubuntu's priority entry", () => {
    expect(advisorySeverity({ ...base, severity: [{ type: 'Ubuntu', score: 'high' }] })).toEqual({ severity: 'High' });
  });

  it("prefers the package's word to the advisory's", () => {
    const adv = { ...base, database_specific: { severity: 'HIGH' } };
    expect(advisorySeverity(adv, pkg({ database_specific: { severity: 'LOW' } })).severity).toBe('Low');
    expect(advisorySeverity(adv, pkg()).severity).toBe('High');
  });

  it('is Unknown when nothing rates the advisory', () => {
    expect(advisorySeverity(base)).toEqual({ severity: 'Unknown' });
    expect(advisorySeverity({ ...base, database_specific: { severity: 'spicy' } })).toEqual({ severity: 'Unknown' });
  });

  it('rates a zero-impact vector as None', () => {
    const zero = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N';
    expect(advisorySeverity({ ...base, severity: [{ type: 'CVSS_V3', score: zero }] })).toEqual({ severity: 'None', cvss: { score_v3: 0, vector_v3: zero } });
  });
});

describe('severityFromText', () => {
  it.each([
    ['CRITICAL', 'Critical'],
    ['HIGH', 'High'],
    ['MODERATE', 'Medium'],
    ['LOW', 'Low'],
    ['Important', 'High'],
    ['low**', 'Low'],
    ['unimportant', 'Negligible'],
    ['untriaged', 'Unknown'],
  ])('maps %s to %s', (text, severity) => {
    expect(severityFromText(text)).toBe(severity);
  });

  it('returns undefined for words and values it does not know', () => {
    expect(severityFromText('toString')).toBeUndefined();
    expect(severityFromText(3)).toBeUndefined();
  });
});
