import type { JobRow } from './jobs.repo.ts';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** Berth's job view: the whole state of one job, as the history shows it. */
export const presentJob = (j: JobRow): Record<string, unknown> => ({
  id: j.id,
  type: j.type,
  status: j.status,
  attempts: j.attempts,
  max_attempts: j.max_attempts,
  payload: j.payload,
  result: j.result ?? null,
  last_error: j.last_error,
  kind: j.dedupe_key?.startsWith('schedule:') ? 'SCHEDULE' : 'MANUAL',
  worker: j.locked_by,
  // When a queued job (new, or waiting for its next attempt) may run.
  run_at: iso(j.run_at),
  creation_time: iso(j.created_at),
  start_time: iso(j.started_at),
  end_time: iso(j.finished_at),
  update_time: iso(j.updated_at),
});

/** Harbor's job statuses (ExecHistory.job_status). */
export const harborJobStatus: Record<JobRow['status'], string> = {
  queued: 'Pending',
  running: 'Running',
  succeeded: 'Success',
  dead: 'Error',
  cancelled: 'Stopped',
};

/** A plain-text log of a job (Harbor serves job logs as text). */
export function jobLog(j: JobRow): string {
  const lines = [
    `${iso(j.created_at)} job ${j.id} (${j.type}) created${j.dedupe_key?.startsWith('schedule:') ? ` by schedule ${j.dedupe_key.slice(9)}` : ''}`,
    `parameters: ${JSON.stringify(j.payload)}`,
  ];
  if (j.started_at) lines.push(`${iso(j.started_at)} attempt ${j.attempts} of ${j.max_attempts} started${j.locked_by ? ` on ${j.locked_by}` : ''}`);
  if (j.last_error) lines.push(`last error: ${j.last_error}`);
  if (j.status === 'queued' && j.attempts > 0) lines.push(`next attempt not before ${iso(j.run_at)}`);
  if (j.finished_at) lines.push(`${iso(j.finished_at)} ${j.status}${j.result !== null && j.result !== undefined ? `: ${JSON.stringify(j.result)}` : ''}`);
  return `${lines.join('\n')}\n`;
}
