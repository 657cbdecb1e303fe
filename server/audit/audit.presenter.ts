import type { AuditRow } from './audit.repo.ts';

/**
 * Harbor's AuditLog, plus Berth's `address` (the client's address) and `count` (how many pulls an aggregated
 * entry stands for); Harbor clients ignore fields they do not know.
 */
export const presentAuditLog = (r: AuditRow): Record<string, unknown> => ({
  id: r.id,
  username: r.operator,
  resource: r.resource,
  resource_type: r.resource_type,
  operation: r.operation,
  op_time: new Date(r.op_time).toISOString(),
  address: r.address ?? '',
  count: r.count,
});

/** Harbor's AuditLogExt (2.13+): the same with the description and the result. */
export const presentAuditLogExt = (r: AuditRow): Record<string, unknown> => ({
  ...presentAuditLog(r),
  operation_description: r.description,
  operation_result: r.success,
});
