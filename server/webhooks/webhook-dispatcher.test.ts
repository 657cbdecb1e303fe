import { describe, expect, it } from 'vitest';
import { registryHost } from './webhook-dispatcher.ts';
import { supportedEventTypes, webhookEventTable } from './webhook-events.ts';

describe('the webhook subscriber', () => {
  it('names the registry by the external URL when set, else by the Host of the request behind the event', () => {
    expect(registryHost('https://registry.example.com', { host: '10.0.0.5:5000' })).toBe('registry.example.com');
    expect(registryHost('http://registry.example.com:8080', {})).toBe('registry.example.com:8080');
    expect(registryHost('', { host: '127.0.0.1:5000' })).toBe('127.0.0.1:5000');
    expect(registryHost('', {})).toBe('localhost');
  });

  it("maps Berth's events onto Harbor's types in one table", () => {
    expect(Object.fromEntries(webhookEventTable.map((m) => [m.event, m.type]))).toEqual({
      'artifact.pushed': 'PUSH_ARTIFACT',
      'artifact.copied': 'PUSH_ARTIFACT',
      'artifact.pulled': 'PULL_ARTIFACT',
      'artifact.deleted': 'DELETE_ARTIFACT',
      'artifact.promoted': 'PROMOTE_ARTIFACT',
      'promotion.blocked': 'PROMOTION_BLOCKED',
      'scan.completed': 'SCANNING_COMPLETED',
      'scan.failed': 'SCANNING_FAILED',
      'scan.stopped': 'SCANNING_STOPPED',
      'quota.exceeded': 'QUOTA_EXCEED',
      'quota.warning': 'QUOTA_WARNING',
    });
    expect(supportedEventTypes).toEqual(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'PROMOTE_ARTIFACT', 'PROMOTION_BLOCKED', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED', 'QUOTA_EXCEED', 'QUOTA_WARNING']);
  });

  it('reads what a quota event says about the project, repository and artifact', () => {
    const exceeded = webhookEventTable.find((m) => m.event === 'quota.exceeded')!;
    const subject = exceeded.subject({ projectId: 3, projectName: 'p', repository: 'p/app', digest: 'sha256:abc', used: 90, hard: 100, requested: 20 } as never);
    expect(subject).toEqual({
      projectId: 3,
      projectName: 'p',
      repository: 'p/app',
      digest: 'sha256:abc',
      tags: [],
      custom: { Details: "adding 20 bytes would exceed the project's storage limit of 100 bytes (90 bytes used)" },
      bareResource: true,
    });
    const warning = webhookEventTable.find((m) => m.event === 'quota.warning')!;
    expect(warning.subject({ projectId: 3, projectName: 'p', used: 86, hard: 100 } as never)).toEqual({ projectId: 3, projectName: 'p', tags: [], custom: { Details: 'the project uses 86 of its 100 bytes of storage' }, bareResource: true });
  });
});
