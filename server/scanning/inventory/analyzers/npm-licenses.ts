/**
 * The licenses a package.json (or a lockfile v2/v3 entry) declares: `license` as an SPDX string or the
 * deprecated `{ type }` object, else the legacy `licenses` array of strings or `{ type }` objects.
 */
export function npmLicenses(manifest: Record<string, unknown>): string[] | undefined {
  const single = licenseName(manifest.license);
  if (single) return [single];
  const legacy = manifest.licenses;
  if (Array.isArray(legacy)) {
    const names = legacy.map(licenseName).filter((n): n is string => n !== undefined);
    if (names.length > 0) return names;
  }
  return undefined;
}

function licenseName(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (isObject(value) && typeof value.type === 'string') return value.type.trim() || undefined;
  return undefined;
}

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
