import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.ts';
import { requestContext } from '../core/request-context.ts';
import type { DomainEvent, EventMap, EventName } from './event-types.ts';

type Handler = (event: DomainEvent) => void | Promise<void>;

/**
 * The one event bus. Emitting never fails the change that caused it: handlers run after the caller goes on,
 * and a handler's error is logged, not thrown. Durable consumers (webhooks, replication) enqueue jobs from their
 * handler rather than do the work in it; the audit log and pull statistics batch their writes.
 */
export class EventBus {
  private readonly handlers = new Map<EventName | '*', Handler[]>();

  constructor(private readonly log: Logger) {}

  on<N extends EventName>(name: N | '*', handler: (event: DomainEvent<N>) => void | Promise<void>): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler as Handler);
    this.handlers.set(name, list);
  }

  emit<N extends EventName>(name: N, operator: string, data: EventMap[N]): void {
    const named = this.handlers.get(name);
    const all = this.handlers.get('*');
    if (!named && !all) return;
    const context = requestContext.current();
    const event: DomainEvent<N> = {
      id: randomUUID(),
      name,
      operator,
      ...(context ? { address: context.address, requestId: context.requestId } : {}),
      ...(context?.host ? { host: context.host } : {}),
      occurredAt: new Date(),
      data,
    };
    for (const handler of [...(named ?? []), ...(all ?? [])]) {
      queueMicrotask(() => {
        Promise.resolve()
          .then(() => handler(event as DomainEvent))
          .catch((err: unknown) => this.log.error({ err, event: name }, 'event handler failed'));
      });
    }
  }
}
