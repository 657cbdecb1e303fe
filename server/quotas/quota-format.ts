import { BerthError } from '../core/errors.ts';

/** A byte count as people read it: `512 B`, `1.5 KiB`, `10.0 MiB` (binary units, one decimal, as Harbor shows). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The 403 DENIED a client sees when a push would pass its project's storage limit. Harbor says "Quota exceeded when
 * processing the request of adding 1.2 MiB of storage resource, which when updated to current usage of 9.0 MiB will
 * exceed the configured upper limit of 10.0 MiB."; this keeps that substance and also names the bytes that remain,
 * exactly, so a CI log shows how far over the push was.
 */
export function quotaExceeded(projectName: string, requested: number, used: number, hard: number): BerthError {
  const remaining = Math.max(hard - used, 0);
  return new BerthError(
    'QUOTA_EXCEEDED',
    `quota exceeded in project ${projectName}: adding ${formatBytes(requested)} (${requested} bytes) of storage to the current usage of ` +
      `${formatBytes(used)} would pass the limit of ${formatBytes(hard)}; ${formatBytes(remaining)} (${remaining} bytes) remaining`,
    { requested, used, hard, remaining },
  );
}
