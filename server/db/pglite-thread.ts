import { Worker } from 'node:worker_threads';

/** What the worker (pglite-worker.mjs) is started with. */
export interface WorkerInit {
  dataDir?: string;
  snapshot?: ArrayBuffer;
}

type RequestBody =
  | { op: 'query'; sql: string; params?: unknown[]; options?: Record<string, unknown> }
  | { op: 'exec'; sql: string }
  | { op: 'dump' }
  | { op: 'close' };

type Pending = { resolve(value: unknown): void; reject(err: unknown): void };

/**
 * The main-thread face of a PGlite instance running in a worker thread (see pglite-worker.mjs). It offers the
 * part of PGlite's interface that knex-pglite uses (`waitReady`, `query`, `exec`, `close`, `closed`) plus
 * `dumpDataDir` for test snapshots. Requests are answered in order by the single database connection.
 */
export class PgliteThread {
  readonly waitReady: Promise<void>;
  closed = false;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(init: WorkerInit) {
    this.worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
      workerData: init,
      transferList: init.snapshot ? [init.snapshot] : [],
    });
    this.waitReady = new Promise((resolve, reject) => {
      this.worker.once('message', (m: { ready: boolean; error?: Record<string, unknown> }) => {
        if (m.ready) resolve();
        else reject(toError(m.error ?? {}));
      });
      this.worker.once('error', reject);
    });
    this.worker.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: Record<string, unknown> }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(toError(m.error ?? {}));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => {
      this.closed = true;
      this.failAll(new Error('the database thread exited'));
    });
  }

  query(sql: string, params?: unknown[], options?: Record<string, unknown>): Promise<unknown> {
    return this.send({ op: 'query', sql, params, options });
  }

  exec(sql: string): Promise<unknown> {
    return this.send({ op: 'exec', sql });
  }

  async dumpDataDir(): Promise<Blob> {
    return new Blob([(await this.send({ op: 'dump' })) as ArrayBuffer]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.send({ op: 'close' }).catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
  }

  private send(body: RequestBody): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id });
    });
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Rebuilds an error with PostgreSQL's fields (code, constraint, ...) so callers can inspect it as usual. */
function toError(fields: Record<string, unknown>): Error {
  const err = new Error(String(fields.message ?? 'database error'));
  Object.assign(err, fields);
  return err;
}
