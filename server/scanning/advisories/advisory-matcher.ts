import type { Knex } from 'knex';
import type { InstalledPackage, OsRelease } from '../inventory/package.ts';
import type { VulnerabilityReport } from '../reports.ts';
import { matchAffected } from './affected.ts';
import { advisoriesRepo } from './advisories.repo.ts';
import type { OsvAdvisory } from './osv.ts';
import { lookupKeys } from './package-keys.ts';
import { advisorySeverity } from './severity.ts';

export type Finding = VulnerabilityReport['vulnerabilities'][number];

/** The name a finding goes by: its CVE where it has one (allowlists and people speak CVE), else the OSV id. */
export function findingId(advisory: OsvAdvisory): string {
  if (advisory.id.startsWith('CVE-')) return advisory.id;
  return advisory.aliases?.find((a) => a.startsWith('CVE-')) ?? advisory.id;
}

/**
 * Matches an inventory against the advisory database: one query for every package's keys, then each candidate
 * advisory's affected ranges evaluated against the installed version in the package's own version ordering.
 * A finding is reported once per (id, package, version, path) even when several advisories (a DSA and its CVE)
 * say the same.
 */
export async function matchInventory(db: Knex, packages: InstalledPackage[], os: OsRelease | undefined): Promise<Finding[]> {
  const lookups = packages.map((pkg) => ({ pkg, keys: lookupKeys(pkg, os) }));
  const hits = await advisoriesRepo.forKeys(db, lookups.flatMap((l) => l.keys));
  const byKey = new Map<string, typeof hits>();
  for (const h of hits) {
    const k = `${h.key.ecosystem}\0${h.key.release}\0${h.key.name}`;
    byKey.set(k, [...(byKey.get(k) ?? []), h]);
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const { pkg, keys } of lookups) {
    for (const key of keys) {
      for (const hit of byKey.get(`${key.ecosystem}\0${key.release}\0${key.name}`) ?? []) {
        const affected = hit.advisory.affected?.[hit.affectedIndex];
        if (!affected) continue;
        let match;
        try {
          match = matchAffected(affected, key.version);
        } catch {
          continue; // a version the ecosystem's ordering cannot read is not evidence either way
        }
        if (!match.affected) continue;
        const id = findingId(hit.advisory);
        const dedupe = `${id}\0${pkg.name}\0${pkg.version}\0${pkg.path}`;
        if (seen.has(dedupe)) continue;
        seen.add(dedupe);
        const { severity, cvss } = advisorySeverity(hit.advisory, affected);
        findings.push({
          id,
          package: pkg.name,
          version: pkg.version,
          ...(match.fixedVersion ? { fix_version: match.fixedVersion } : {}),
          severity,
          description: (hit.advisory.summary || hit.advisory.details || '').slice(0, 2000),
          links: (hit.advisory.references ?? []).map((r) => r.url).slice(0, 20),
          ...(cvss ? { preferred_cvss: cvss } : {}),
          cwe_ids: cweIds(hit.advisory),
          vendor_attributes: {
            osv_id: hit.advisory.id,
            ecosystem: key.release ? `${key.ecosystem}:${key.release}` : key.ecosystem,
            ...(key.name !== pkg.name ? { source_package: key.name } : {}),
            path: pkg.path,
          },
        });
      }
    }
  }
  return findings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
}

function cweIds(advisory: OsvAdvisory): string[] {
  const ids = advisory.database_specific?.cwe_ids;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
}
