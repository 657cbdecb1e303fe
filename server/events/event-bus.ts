import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.ts';
import { toActor, type Operator } from '../core/actor.ts';
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

  /** Emits an event; `operator` is a request's actor (name, address, request id) or a bare name. */
  emit<N extends EventName>(name: N, operator: Operator, data: EventMap[N]): void {
    const named = this.handlers.get(name);
    const all = this.handlers.get('*');
    if (!named && !all) return;
    const actor = toActor(operator);
    const event: DomainEvent<N> = {
      id: randomUUID(),
      name,
      operator: actor.name,
      ...(actor.address ? { address: actor.address } : {}),
      ...(actor.requestId ? { requestId: actor.requestId } : {}),
      ...(actor.host ? { host: actor.host } : {}),
      occurredAt: new Date(),
      data,
    };
    const handlers = [...(named ?? []), ...(all ?? [])];
    // One microtask for all handlers: they run after the emitter goes on, and one failing never stops the others.
    queueMicrotask(() => {
      for (const handler of handlers) {
        try {
          const result = handler(event as DomainEvent);
          if (result) result.catch((err: unknown) => this.log.error({ err, event: name }, 'event handler failed'));
        } catch (err) {
          this.log.error({ err, event: name }, 'event handler failed');
        }
      }
    });
  }
}
