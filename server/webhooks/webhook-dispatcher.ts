import type { Knex } from 'knex';
import { repositoriesRepo } from '../artifacts/repositories.repo.ts';
import type { Logger } from '../core/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { DomainEvent } from '../events/event-types.ts';
import type { ProjectsService } from '../projects/projects.service.ts';
import type { DeliveriesService, ScheduledDelivery } from './deliveries.service.ts';
import { nameInProject } from './formats/harbor-payload.ts';
import { payloadFormats, type HookEvent } from './formats/index.ts';
import { webhookEventTable, type EventSubject, type WebhookEventMapping } from './webhook-events.ts';
import type { ActivePolicy, WebhooksService } from './webhooks.service.ts';

/** The registry's host[:port]: from the external URL when set, else the Host the request that caused the event addressed. */
export function registryHost(externalUrl: string, event: Pick<DomainEvent, 'host'>): string {
  if (externalUrl) return new URL(externalUrl).host;
  return event.host ?? 'localhost';
}

/**
 * The webhook subscriber: for each event in the mapping table, finds the project's enabled policies that want its
 * type and whose filters pass it, renders the body once per target in the target's format and schedules the
 * deliveries. Nothing is sent here; the `webhook.deliver` jobs do that, so a slow receiver never holds up a push.
 */
export class WebhookDispatcher {
  constructor(
    private readonly db: Knex,
    private readonly policies: WebhooksService,
    private readonly deliveries: DeliveriesService,
    private readonly projects: ProjectsService,
    private readonly externalUrl: string,
    private readonly log: Logger,
    /** The registry-wide switch (run-time setting `notification_enable`). */
    private readonly enabled: () => boolean = () => true,
  ) {}

  subscribe(events: EventBus): void {
    for (const mapping of webhookEventTable) {
      events.on(mapping.event, (event) =>
        this.dispatch(mapping, event).then(
          () => undefined,
          (err: unknown) => this.log.error({ err, event: event.name, eventId: event.id }, 'webhook dispatch failed'),
        ),
      );
    }
  }

  /** Schedules the deliveries one event causes; returns their ids (none when no policy wants it). */
  async dispatch(mapping: WebhookEventMapping, event: DomainEvent): Promise<number[]> {
    if (!this.enabled()) return [];
    const subject = mapping.subject(event.data);
    const wanted = (await this.policies.activePolicies(subject.projectId)).filter(
      (p) => p.row.event_types.includes(mapping.type) && p.passes({ repository: subject.repository && nameInProject(subject.repository), tags: subject.tags }),
    );
    if (wanted.length === 0) return [];
    const hook = await this.hookEvent(mapping, event, subject);
    if (!hook) return [];
    return this.deliveries.schedule(wanted.flatMap((policy) => this.render(policy, hook)));
  }

  private render(policy: ActivePolicy, hook: HookEvent): ScheduledDelivery[] {
    const out: ScheduledDelivery[] = [];
    for (const [index, target] of policy.row.targets.entries()) {
      const format = payloadFormats[target.payload_format];
      if (!format.accepts(hook.type)) continue;
      const rendered = format.render(hook, { id: policy.row.id, projectId: policy.row.project_id });
      out.push({
        delivery: {
          policy_id: policy.row.id,
          project_id: policy.row.project_id,
          event_id: hook.id,
          event_type: hook.type,
          target_index: index,
          address: target.address,
          payload_format: target.payload_format,
          content_type: rendered.contentType,
          body: Buffer.from(rendered.body, 'utf8'),
        },
        maxAttempts: policy.row.max_attempts,
      });
    }
    return out;
  }

  private async hookEvent(mapping: WebhookEventMapping, event: DomainEvent, subject: EventSubject): Promise<HookEvent | null> {
    const project = await this.projects.findByName(subject.projectName);
    // The project went away between the event and now: there is nobody left to notify.
    if (!project) return null;
    const repository = subject.repository ? await repositoriesRepo.findByName(this.db, subject.repository) : undefined;
    return {
      id: event.id,
      ...(event.requestId ? { requestId: event.requestId } : {}),
      type: mapping.type,
      occurredAt: event.occurredAt,
      operator: event.operator,
      registryHost: registryHost(this.externalUrl, event),
      project: { id: project.id, name: project.name, public: project.public },
      ...(subject.repository ? { repository: { name: subject.repository, ...(repository ? { createdAt: new Date(repository.created_at) } : {}) } } : {}),
      ...(subject.digest ? { digest: subject.digest } : {}),
      tags: subject.tags,
      ...(subject.custom ? { custom: subject.custom } : {}),
      ...(subject.bareResource ? { bareResource: true } : {}),
      ...(subject.scanOverview ? { scanOverview: subject.scanOverview } : {}),
    };
  }
}
