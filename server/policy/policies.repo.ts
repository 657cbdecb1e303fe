import type { Queryable } from '../db/types.ts';
import type { PolicyDocument, PolicyKind } from './documents.ts';

export interface PolicyVersionRow {
  id: number;
  kind: PolicyKind;
  name: string;
  version: number;
  /** Null for the version that deleted the document. */
  document: PolicyDocument | null;
  content_digest: string;
  created_by: string;
  created_at: Date;
  deleted: boolean;
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';

/** Versioned policy documents: every applied change is a row, the highest version of (kind, name) is current. */
export const policiesRepo = {
  /** The newest version of every (kind, name), deleted ones included (the caller filters). */
  async heads(db: Queryable, kind?: PolicyKind): Promise<PolicyVersionRow[]> {
    const q = db('policy_documents as p')
      .whereNotExists((sub) => sub.select(1).from('policy_documents as n').whereRaw('n.kind = p.kind and n.name = p.name and n.version > p.version'))
      .orderBy([{ column: 'p.kind' }, { column: 'p.name' }])
      .select<PolicyVersionRow[]>('p.*');
    if (kind) void q.where('p.kind', kind);
    return q;
  },

  async head(db: Queryable, kind: PolicyKind, name: string): Promise<PolicyVersionRow | undefined> {
    return db('policy_documents').where({ kind, name }).orderBy('version', 'desc').first<PolicyVersionRow | undefined>();
  },

  async versions(db: Queryable, kind: PolicyKind, name: string): Promise<PolicyVersionRow[]> {
    return db('policy_documents').where({ kind, name }).orderBy('version', 'desc').select<PolicyVersionRow[]>('*');
  },

  async version(db: Queryable, kind: PolicyKind, name: string, version: number): Promise<PolicyVersionRow | undefined> {
    return db('policy_documents').where({ kind, name, version }).first<PolicyVersionRow | undefined>();
  },

  /**
   * Writes version `version`; null when another writer took that version number first (the caller re-reads and
   * decides again, so two concurrent applies never both believe they made version N).
   */
  async insert(db: Queryable, row: Omit<PolicyVersionRow, 'id' | 'created_at'>): Promise<PolicyVersionRow | null> {
    try {
      const [created] = await db('policy_documents')
        .insert({ ...row, document: row.document === null ? null : JSON.stringify(row.document) })
        .returning<PolicyVersionRow[]>('*');
      return created!;
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  },
};
