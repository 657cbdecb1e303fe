/**
 * Who did something, and from where: what every domain event and audit entry records. Handlers build it from the
 * request (`actorOf` in server/http/actor.ts); background work names itself (`'system'`). Passed explicitly rather
 * than through AsyncLocalStorage, whose promise hooks cost every request on Node 20 (about 15% of a manifest GET).
 */
export interface Actor {
  /** A username, a robot name, `anonymous` or `system`. */
  name: string;
  /** The client's address as the socket saw it (no proxy headers are trusted). */
  address?: string;
  requestId?: string;
  /** The Host the client addressed (host[:port]), when plausible: webhooks name the registry by it. */
  host?: string;
}

/** An operator: a bare name (background work, tests) or a request's actor. */
export type Operator = string | Actor;

export const operatorName = (operator: Operator): string => (typeof operator === 'string' ? operator : operator.name);

export const toActor = (operator: Operator): Actor => (typeof operator === 'string' ? { name: operator } : operator);
