import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A hand-written OSV advisory for one package. */
export function osvAdvisory(a: {
  id: string;
  ecosystem: string;
  name: string;
  aliases?: string[];
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
  cvss?: string;
  modified?: string;
  summary?: string;
}): Record<string, unknown> {
  const events: Array<Record<string, string>> = [{ introduced: a.introduced ?? '0' }];
  if (a.fixed) events.push({ fixed: a.fixed });
  if (a.lastAffected) events.push({ last_affected: a.lastAffected });
  return {
    schema_version: '1.6.0',
    id: a.id,
    modified: a.modified ?? '2026-11-01T00:00:00Z',
    published: '2026-10-01T00:00:00Z',
    ...(a.aliases ? { aliases: a.aliases } : {}),
    summary: a.summary ?? `${a.name} is vulnerable`,
    ...(a.cvss ? { severity: [{ type: 'CVSS_V3', score: a.cvss }] } : {}),
    affected: [{ package: { ecosystem: a.ecosystem, name: a.name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    references: [{ type: 'ADVISORY', url: `https://security.example.invalid/${a.id}` }],
  };
}

export const criticalVector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
export const highVector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H';
export const mediumVector = 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N';

/** Writes advisories (and any raw extra files) into a new directory, one `.json` file each, as OSV exports them. */
export async function osvDirectory(advisories: Array<Record<string, unknown>>, extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-osv-'));
  await mkdir(path.join(dir, 'nested'), { recursive: true });
  for (const [i, a] of advisories.entries()) await writeFile(path.join(dir, i % 2 ? 'nested' : '', `${String(a.id)}.json`), JSON.stringify(a));
  for (const [name, text] of Object.entries(extra)) await writeFile(path.join(dir, name), text);
  return dir;
}
