import type { StoredPolicy } from './documents.ts';

/** A stored version: its identity, who applied it and when, and the document itself (null for a deletion). */
export const presentPolicy = (p: StoredPolicy & { deleted?: boolean }): Record<string, unknown> => ({
  kind: p.kind,
  name: p.name,
  version: p.version,
  deleted: p.deleted ?? false,
  created_by: p.createdBy,
  creation_time: new Date(p.createdAt).toISOString(),
  document: p.deleted ? null : p.document,
});
