import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the request a piece of work runs for: where it came from and its id. */
export interface RequestContext {
  requestId: string;
  /** The client's address as the socket saw it (no proxy headers are trusted). */
  address: string;
  /** The Host the client addressed (host[:port]), when it is a plausible one: webhooks name the registry by it. */
  host?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * The request context travels with the async work of a request, so an event emitted deep inside a service
 * records the source address and request id for the audit log without every service passing them along.
 */
export const requestContext = {
  run<T>(context: RequestContext, fn: () => T): T {
    return storage.run(context, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};
