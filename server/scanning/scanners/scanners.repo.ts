import type { Queryable } from '../../db/types.ts';

export interface ScannerRow {
  id: number;
  uuid: string;
  name: string;
  description: string;
  url: string;
  auth: string;
  /** Sealed with the secret box. */
  access_credential: string | null;
  skip_cert_verify: boolean;
  use_internal_addr: boolean;
  disabled: boolean;
  is_default: boolean;
  builtin: boolean;
  created_at: Date;
  updated_at: Date;
}

export type ScannerFields = Pick<ScannerRow, 'name' | 'description' | 'url' | 'auth' | 'access_credential' | 'skip_cert_verify' | 'use_internal_addr' | 'disabled'>;

export const scannersRepo = {
  async list(db: Queryable, filter: { name?: string; enabledOnly?: boolean; offset: number; limit: number }): Promise<{ rows: ScannerRow[]; total: number }> {
    const base = () => {
      const q = db('scanners');
      if (filter.enabledOnly) q.where({ disabled: false });
      if (filter.name) q.whereILike('name', `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      return q;
    };
    const [count] = await base().count<Array<{ count: string | number }>>('* as count');
    const rows = await base().orderBy('id').offset(filter.offset).limit(filter.limit).select<ScannerRow[]>('*');
    return { rows, total: Number(count?.count ?? 0) };
  },

  async byUuid(db: Queryable, uuid: string): Promise<ScannerRow | undefined> {
    return db('scanners').where({ uuid }).first<ScannerRow | undefined>();
  },

  async byId(db: Queryable, id: number): Promise<ScannerRow | undefined> {
    return db('scanners').where({ id }).first<ScannerRow | undefined>();
  },

  async byName(db: Queryable, name: string): Promise<ScannerRow | undefined> {
    return db('scanners').where({ name }).first<ScannerRow | undefined>();
  },

  async default(db: Queryable): Promise<ScannerRow | undefined> {
    return db('scanners').where({ is_default: true }).first<ScannerRow | undefined>();
  },

  async builtin(db: Queryable): Promise<ScannerRow | undefined> {
    return db('scanners').where({ builtin: true }).first<ScannerRow | undefined>();
  },

  /** Inserts a registration; null when the name is taken. */
  async insert(db: Queryable, uuid: string, fields: ScannerFields & { builtin?: boolean; is_default?: boolean }): Promise<ScannerRow | null> {
    const rows = await db('scanners').insert({ uuid, ...fields }).onConflict('name').ignore().returning<ScannerRow[]>('*');
    return rows[0] ?? null;
  },

  async update(db: Queryable, id: number, fields: Partial<ScannerFields>): Promise<void> {
    await db('scanners').where({ id }).update({ ...fields, updated_at: db.fn.now() });
  },

  async setDefault(db: Queryable, id: number): Promise<void> {
    await db('scanners').where({ is_default: true }).whereNot({ id }).update({ is_default: false, updated_at: db.fn.now() });
    await db('scanners').where({ id }).update({ is_default: true, updated_at: db.fn.now() });
  },

  async delete(db: Queryable, id: number): Promise<void> {
    await db('scanners').where({ id }).delete();
  },

  async ofProject(db: Queryable, projectId: number): Promise<ScannerRow | undefined> {
    return db('project_scanners as p').join('scanners as s', 's.id', 'p.scanner_id').where('p.project_id', projectId).first<ScannerRow | undefined>('s.*');
  },

  async setForProject(db: Queryable, projectId: number, scannerId: number): Promise<void> {
    await db('project_scanners').insert({ project_id: projectId, scanner_id: scannerId }).onConflict('project_id').merge();
  },

  async projectsUsing(db: Queryable, scannerId: number): Promise<number> {
    const [row] = await db('project_scanners').where({ scanner_id: scannerId }).count<Array<{ count: string | number }>>('* as count');
    return Number(row?.count ?? 0);
  },
};
