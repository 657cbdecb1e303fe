import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../core/logger.ts';

type Dropper = (key: string) => void;

/** What a caching service needs: name its cache once, then invalidate keys (here and on the other nodes). */
export interface Invalidator {
  /** Names a cache and how to drop one of its keys (`*`: everything). */
  register(cache: string, drop: Dropper): void;
  /** Drops `key` from `cache` here and on every other node. */
  invalidate(cache: string, key: string): void;
  /** Tells the other nodes only (this node has already brought its cache up to date). */
  announce(cache: string, key: string): void;
}

interface Message {
  /** The node that made the change (it has dropped its own entries already). */
  origin: string;
  cache: string;
  key: string;
}

const channel = 'berth_cache';
// pg_notify payloads are limited to 8000 bytes; keys are names and digests, far below that.
const maxKey = 4000;

/**
 * Keeps the per-process caches (tags, manifests, blob links, projects, memberships, credentials, policies) right
 * when several Berth processes share one PostgreSQL. A service that changes cached state calls
 * `invalidate(cache, key)`: the entry is dropped here at once and, through `pg_notify`, on every other node a moment
 * later (NOTIFY is delivered after the change's commit, in commit order). A node that loses its listening
 * connection drops everything it holds when it reconnects, since messages may have been missed meanwhile.
 * With the embedded PGlite database there is only ever one process, so nothing is sent.
 */
export class CacheInvalidation implements Invalidator {
  readonly nodeId = randomUUID();
  private readonly droppers = new Map<string, Dropper[]>();
  private listener: pg.Client | undefined;
  private stopped = false;
  private retryMs = 500;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly postgresUrl: string | undefined,
    private readonly log?: Logger,
  ) {}

  /** An invalidator for one process (the embedded database, and services built alone in tests). */
  static local(): CacheInvalidation {
    return new CacheInvalidation(undefined);
  }

  /** Names a cache and how to drop one of its keys (`*`: everything). */
  register(cache: string, drop: Dropper): void {
    const list = this.droppers.get(cache) ?? [];
    list.push(drop);
    this.droppers.set(cache, list);
  }

  /** Drops `key` from `cache` here and on every other node. */
  invalidate(cache: string, key: string): void {
    this.dropLocal(cache, key);
    this.announce(cache, key);
  }

  announce(cache: string, key: string): void {
    if (!this.postgresUrl || !this.listener) return;
    const payload: Message = { origin: this.nodeId, cache, key: key.length > maxKey ? '*' : key };
    const client = this.listener;
    // One query at a time on the connection, in order (pg deprecates overlapping queries on a client).
    this.sending = this.sending
      .then(() => client.query('select pg_notify($1, $2)', [channel, JSON.stringify(payload)]))
      .then(
        () => undefined,
        (err: unknown) => this.log?.warn({ err, cache }, 'cache invalidation could not be sent'),
      );
  }

  async start(): Promise<void> {
    if (!this.postgresUrl) return;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => undefined);
  }

  private dropLocal(cache: string, key: string): void {
    for (const drop of this.droppers.get(cache) ?? []) drop(key);
  }

  private dropEverything(): void {
    for (const [cache] of this.droppers) this.dropLocal(cache, '*');
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.postgresUrl });
    client.on('notification', (n) => {
      if (n.channel !== channel || !n.payload) return;
      try {
        const m = JSON.parse(n.payload) as Message;
        if (m.origin !== this.nodeId) this.dropLocal(m.cache, m.key);
      } catch {
        // Not ours; ignore.
      }
    });
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      if (this.stopped) return;
      this.log?.warn({ err }, 'cache invalidation listener lost its connection');
      this.reconnectLater();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`listen ${channel}`);
    } catch (err) {
      lost = true;
      await client.end().catch(() => undefined);
      throw err;
    }
    this.listener = client;
    this.retryMs = 500;
  }

  private reconnectLater(): void {
    // Whatever changed while this node was not listening is unknown: start again from empty caches.
    this.dropEverything();
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().then(
        () => this.dropEverything(),
        (err: unknown) => {
          this.log?.warn({ err }, 'cache invalidation listener could not reconnect');
          this.reconnectLater();
        },
      );
    }, wait).unref();
  }
}
