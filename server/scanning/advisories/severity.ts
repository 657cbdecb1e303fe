/** The severity of an OSV advisory, from its CVSS vectors or, failing those, the words its database uses. */
import type { Severity } from '../../policy/documents.ts';
import { cvssV2Score, cvssV3Score, severityFromScore } from './cvss.ts';
import type { OsvAdvisory, OsvAffected, OsvSeverity } from './osv.ts';

export interface CvssScores {
  score_v3?: number;
  vector_v3?: string;
  score_v2?: number;
  vector_v2?: string;
}

export interface AdvisorySeverity {
  severity: Severity;
  cvss?: CvssScores;
}

/** Textual severities seen in OSV feeds (GitHub, Debian urgencies, Ubuntu priorities, Red Hat impacts). */
const words: Record<string, Severity> = {
  critical: 'Critical',
  high: 'High',
  important: 'High',
  moderate: 'Medium',
  medium: 'Medium',
  low: 'Low',
  negligible: 'Negligible',
  unimportant: 'Negligible',
  'not yet assigned': 'Unknown',
  untriaged: 'Unknown',
  unknown: 'Unknown',
  none: 'None',
};

/** Map a database's severity word to Harbor's scale; undefined when it is not one we know. */
export function severityFromText(text: unknown): Severity | undefined {
  if (typeof text !== 'string') return undefined;
  // Debian urgencies may carry a trailing `*` or `**` (estimated), e.g. `low**`.
  const key = text.trim().toLowerCase().replace(/\*+$/, '');
  return Object.hasOwn(words, key) ? words[key] : undefined;
}

/** The first entry of `type` whose vector scores, as [score, vector]. */
function firstScored(entries: OsvSeverity[], type: 'CVSS_V3' | 'CVSS_V2'): [number, string] | undefined {
  const score = type === 'CVSS_V3' ? cvssV3Score : cvssV2Score;
  for (const e of entries) {
    if (e.type !== type) continue;
    try {
      return [score(e.score), e.score];
    } catch {
      // A malformed vector in a feed should not hide a good one later in the list.
    }
  }
  return undefined;
}

function textual(adv: OsvAdvisory, affected: OsvAffected | undefined, entries: OsvSeverity[]): Severity | undefined {
  // CVSS v4 vectors are not scored here (v4 needs FIRST's macro-vector tables), so an advisory
  // with only a v4 vector is rated by the database's word, which GitHub derives from that vector.
  const candidates: unknown[] = [
    affected?.database_specific?.severity,
    affected?.ecosystem_specific?.severity,
    affected?.ecosystem_specific?.urgency,
    adv.database_specific?.severity,
    ...entries.filter((e) => e.type === 'Ubuntu').map((e) => e.score),
  ];
  for (const c of candidates) {
    const s = severityFromText(c);
    if (s !== undefined) return s;
  }
  return undefined;
}

/**
 * The severity of `adv` (for the package in `affected`, when given). A scored CVSS v3 vector
 * decides it, else a CVSS v2 one, else the advisory database's own word for it (GitHub's
 * `database_specific.severity`, Debian's `ecosystem_specific.urgency`, Ubuntu's priority), else
 * 'Unknown'. Entries on the affected package are preferred to the advisory's. Scored vectors are
 * returned in `cvss`.
 */
export function advisorySeverity(adv: OsvAdvisory, affected?: OsvAffected): AdvisorySeverity {
  const entries = [...(affected?.severity ?? []), ...(adv.severity ?? [])];
  const v3 = firstScored(entries, 'CVSS_V3');
  const v2 = firstScored(entries, 'CVSS_V2');
  const cvss: CvssScores = {};
  if (v3 !== undefined) [cvss.score_v3, cvss.vector_v3] = v3;
  if (v2 !== undefined) [cvss.score_v2, cvss.vector_v2] = v2;
  const withCvss = (severity: Severity): AdvisorySeverity => (v3 === undefined && v2 === undefined ? { severity } : { severity, cvss });
  if (v3 !== undefined) return withCvss(severityFromScore(v3[0]));
  if (v2 !== undefined) return withCvss(severityFromScore(v2[0]));
  return withCvss(textual(adv, affected, entries) ?? 'Unknown');
}
