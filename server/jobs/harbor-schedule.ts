import { BerthError } from '../core/errors.ts';
import { isValidCron } from './cron.ts';

/** Harbor's schedule types, as its schedule endpoints (purge, scan-all, GC) take them. */
export type HarborScheduleType = 'Hourly' | 'Daily' | 'Weekly' | 'Custom' | 'Manual' | 'None';

// Harbor's named schedules, in its six-field cron (seconds first).
const named: Record<string, string> = { Hourly: '0 0 * * * *', Daily: '0 0 0 * * *', Weekly: '0 0 0 * * 0' };

/** The type Harbor shows for a stored cron: a named one when it matches, `None` when disabled. */
export function scheduleType(cron: string, enabled: boolean): string {
  if (!enabled) return 'None';
  return Object.entries(named).find(([, c]) => c === cron)?.[0] ?? 'Custom';
}

/** The cron a schedule request sets (not for `Manual` or `None`): BAD_REQUEST when it is not a valid one. */
export function cronFor(schedule: { type: HarborScheduleType; cron?: string | null }): string {
  const cron = schedule.type === 'Custom' ? schedule.cron : named[schedule.type];
  if (!cron || !isValidCron(cron)) throw new BerthError('BAD_REQUEST', 'schedule.cron must be a cron expression (six fields, seconds first, as Harbor writes them)');
  return cron;
}
