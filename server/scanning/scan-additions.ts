import type { ArtifactViewRow } from '../artifacts/artifact-views.repo.ts';
import { BerthError } from '../core/errors.ts';
import type { ReportStore } from './report-store.ts';
import { vulnerabilityReportType } from './reports.ts';
import type { SbomFormat, SbomService } from './sbom/sbom.service.ts';

/**
 * The artifact additions scanning provides: Harbor's `vulnerabilities` (the newest finished report by MIME type,
 * `{}` when never scanned, as Harbor answers) and Berth's `sbom` (`?format=spdx|cyclonedx`, SPDX by default).
 */
export function scanAdditions(reports: ReportStore, sboms: SbomService) {
  return {
    vulnerabilities: async (artifact: ArtifactViewRow) => {
      const report = await reports.latest(artifact.digest);
      const body = report?.report ? { [vulnerabilityReportType]: report.report } : {};
      return { type: 'application/json; charset=utf-8', body: JSON.stringify(body) };
    },
    sbom: async (artifact: ArtifactViewRow, query: Record<string, unknown>) => {
      const raw = query.format ?? 'spdx';
      if (raw !== 'spdx' && raw !== 'cyclonedx') throw new BerthError('BAD_REQUEST', 'format is spdx or cyclonedx');
      const format: SbomFormat = raw;
      const body = await sboms.document(artifact, format);
      return { type: format === 'spdx' ? 'application/spdx+json' : 'application/vnd.cyclonedx+json', body };
    },
  };
}
