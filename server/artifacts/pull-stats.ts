import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { DomainEvent } from '../events/event-types.ts';

interface Pending {
  repository: string;
  digest: string;
  count: number;
  last: Date;
}

/**
 * Pull counts and times, kept off the pull path: each `artifact.pulled` only bumps a counter in memory, and a
 * timer writes the sums in one statement per table (artifacts: count and time; tags: time of a pull by tag). A
 * crash loses at most one interval of counts, never a pull.
 */
export class PullStats {
  private artifacts = new Map<string, Pending>();
  private tags = new Map<string, { repository: string; tag: string; last: Date }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Knex,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  record(event: DomainEvent<'artifact.pulled'>): void {
    const { repository, digest, tags } = event.data;
    const key = `${repository}\t${digest}`;
    const entry = this.artifacts.get(key);
    if (entry) {
      entry.count++;
      entry.last = event.occurredAt;
    } else {
      this.artifacts.set(key, { repository, digest, count: 1, last: event.occurredAt });
    }
    for (const tag of tags) this.tags.set(`${repository}\t${tag}`, { repository, tag, last: event.occurredAt });
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes what has been counted so far (also called at shutdown). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const artifacts = [...this.artifacts.values()];
    const tags = [...this.tags.values()];
    this.artifacts = new Map();
    this.tags = new Map();
    // Flushes run one after another, so two batches never race on the same rows.
    this.flushing = this.flushing.then(() => this.write(artifacts, tags));
    return this.flushing;
  }

  private async write(artifacts: Pending[], tags: Array<{ repository: string; tag: string; last: Date }>): Promise<void> {
    if (artifacts.length === 0 && tags.length === 0) return;
    try {
      if (artifacts.length) {
        await this.db.raw(
          `update artifacts a set pull_count = a.pull_count + v.n, pull_time = greatest(a.pull_time, v.t)
           from jsonb_to_recordset(?::jsonb) as v(repository text, digest text, n int, t timestamptz)
           join repositories r on r.name = v.repository
           where a.repository_id = r.id and a.digest = v.digest`,
          [JSON.stringify(artifacts.map((p) => ({ repository: p.repository, digest: p.digest, n: p.count, t: p.last.toISOString() })))],
        );
      }
      if (tags.length) {
        await this.db.raw(
          `update tags t set pull_time = greatest(t.pull_time, v.t)
           from jsonb_to_recordset(?::jsonb) as v(repository text, tag text, t timestamptz)
           join repositories r on r.name = v.repository
           where t.repository_id = r.id and t.name = v.tag`,
          [JSON.stringify(tags.map((p) => ({ repository: p.repository, tag: p.tag, t: p.last.toISOString() })))],
        );
      }
    } catch (err) {
      this.log.warn({ err, artifacts: artifacts.length }, 'pull statistics could not be written');
    }
  }
}
