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

/** The `schedule` object of Harbor's schedule requests (purge, scan-all): a type and, for `Custom`, a cron. */
export const harborScheduleSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['Hourly', 'Daily', 'Weekly', 'Custom', 'Manual', 'None'] },
    cron: { type: 'string', maxLength: 128, nullable: true },
  },
} as const;

/**
 * Harbor's schedule view (`GET /system/.../schedule`) of a stored schedule: its job name, the type and cron, the
 * next run, and the job parameters when the job has any.
 */
export function presentSchedule(
  row: { cron: string; enabled: boolean; created_at: Date | string; updated_at: Date | string },
  jobName: string,
  next: Date | null,
  options: { parameters?: Record<string, unknown>; blankCronWhenOff?: boolean } = {},
): Record<string, unknown> {
  return {
    id: 0,
    job_name: jobName,
    job_kind: 'SCHEDULE',
    ...(options.parameters ? { job_parameters: JSON.stringify(options.parameters) } : {}),
    schedule: { type: scheduleType(row.cron, row.enabled), cron: options.blankCronWhenOff && !row.enabled ? '' : row.cron, ...(next ? { next_scheduled_time: next.toISOString() } : {}) },
    job_status: '',
    deleted: false,
    creation_time: new Date(row.created_at).toISOString(),
    update_time: new Date(row.updated_at).toISOString(),
  };
}
