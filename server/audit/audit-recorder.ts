import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { DomainEvent } from '../events/event-types.ts';
import { auditEntryOf, type AuditEntry } from './audit-entries.ts';
import { auditRepo } from './audit.repo.ts';

/**
 * Writes the audit log from the event bus. Entries are written behind the operation (it never waits for them):
 * everything that arrives in the same turn goes in one statement. Pulls, which can arrive by the thousand per
 * second, are aggregated: pulls of one artifact by one operator from one address within `pullWindowMs` become one
 * entry with a count (0: one entry per pull, still written in batches).
 */
export class AuditRecorder {
  private pending: AuditEntry[] = [];
  private pulls = new Map<string, AuditEntry>();
  private writeScheduled = false;
  private pullTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Knex,
    private readonly log: Logger,
    private readonly pullWindowMs: number,
  ) {}

  subscribe(events: EventBus): void {
    events.on('*', (event) => this.record(event));
  }

  record(event: DomainEvent): void {
    const entry = auditEntryOf(event);
    if (!entry) return;
    if (event.name === 'artifact.pulled' && this.pullWindowMs > 0) {
      const key = [entry.operator, entry.address, entry.resource].join('\t');
      const open = this.pulls.get(key);
      if (open) {
        open.count++;
        return;
      }
      this.pulls.set(key, entry);
      if (!this.pullTimer) {
        this.pullTimer = setTimeout(() => this.closePullWindow(), this.pullWindowMs);
        this.pullTimer.unref();
      }
      return;
    }
    this.pending.push(entry);
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(() => void this.write());
    }
  }

  /** Writes everything held, open pull windows included (tests, shutdown). */
  async flush(): Promise<void> {
    this.closePullWindow();
    await this.write();
  }

  private closePullWindow(): void {
    clearTimeout(this.pullTimer);
    this.pullTimer = undefined;
    if (this.pulls.size === 0) return;
    this.pending.push(...this.pulls.values());
    this.pulls = new Map();
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(() => void this.write());
    }
  }

  private write(): Promise<void> {
    this.writeScheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await auditRepo.insertMany(this.db, batch);
      } catch (err) {
        this.log.error({ err, entries: batch.length }, 'audit entries could not be written');
      }
    });
    return this.writing;
  }
}
