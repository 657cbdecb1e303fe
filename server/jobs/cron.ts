import cron from 'node-cron';

/** Whether node-cron accepts the expression: 5 fields, or 6 with seconds first (as Harbor writes its schedules). */
export function isValidCron(expression: string): boolean {
  const fields = expression.trim().split(/\s+/).length;
  return (fields === 5 || fields === 6) && cron.validate(expression);
}
