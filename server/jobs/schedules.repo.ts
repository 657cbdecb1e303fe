import type { Queryable } from '../db/types.ts';

export interface ScheduleRow {
  name: string;
  cron: string;
  job_type: string;
  payload: unknown;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export const schedulesRepo = {
  async insertIfMissing(db: Queryable, row: { name: string; cron: string; job_type: string; payload: unknown; enabled?: boolean }): Promise<void> {
    await db('schedules')
      .insert({ ...row, payload: JSON.stringify(row.payload ?? {}) })
      .onConflict('name')
      .ignore();
  },

  async find(db: Queryable, name: string): Promise<ScheduleRow | undefined> {
    return db('schedules').where({ name }).first<ScheduleRow | undefined>();
  },

  async list(db: Queryable): Promise<ScheduleRow[]> {
    return db('schedules').orderBy('name').select<ScheduleRow[]>('*');
  },

  async update(db: Queryable, name: string, changes: { cron?: string; enabled?: boolean; payload?: unknown }): Promise<ScheduleRow | undefined> {
    const set: Record<string, unknown> = { updated_at: db.fn.now() };
    if (changes.cron !== undefined) set.cron = changes.cron;
    if (changes.enabled !== undefined) set.enabled = changes.enabled;
    if (changes.payload !== undefined) set.payload = JSON.stringify(changes.payload);
    const [row] = await db('schedules').where({ name }).update(set).returning<ScheduleRow[]>('*');
    return row;
  },
};
