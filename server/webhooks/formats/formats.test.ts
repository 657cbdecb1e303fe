import { describe, expect, it } from 'vitest';
import { formatCloudEvents } from './cloudevents.ts';
import { formatDefault } from './default.ts';
import type { HookEvent } from './hook-event.ts';
import { payloadFormats } from './index.ts';
import { formatRainbond } from './rainbond.ts';

const digest = 'sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c';

/** The event behind Harbor's own examples in src/pkg/notifier/formats (default.go, cloudevents.go). */
const pushed = (over: Partial<HookEvent> = {}): HookEvent => ({
  id: '4b2f89a6-548d-4c12-9993-a1f5790b97d2',
  requestId: '2eedfab8-61d3-4f3c-8ec3-8f82d1ec4c84',
  type: 'PUSH_ARTIFACT',
  occurredAt: new Date('2023-03-06T06:08:43.731Z'),
  operator: 'admin',
  registryHost: 'harbor.dev',
  project: { id: 1, name: 'library', public: true },
  repository: { name: 'library/busybox', createdAt: new Date(1677053165_000) },
  digest,
  tags: ['latest', 'v1'],
  ...over,
});

const policy = { id: 3, projectId: 1 };

describe('the Default formatter', () => {
  it("renders Harbor's Payload with the first tag, the resource URL and the repository", () => {
    const out = formatDefault(pushed());
    expect(out.contentType).toBe('application/json');
    const body = JSON.parse(out.body);
    expect(body).toEqual({
      type: 'PUSH_ARTIFACT',
      occur_at: 1678082923,
      operator: 'admin',
      event_data: {
        resources: [{ digest, tag: 'latest', resource_url: 'harbor.dev/library/busybox:latest' }],
        repository: { date_created: 1677053165, name: 'busybox', namespace: 'library', repo_full_name: 'library/busybox', repo_type: 'public' },
      },
    });
    // Harbor's field order, for receivers that compare bodies textually.
    expect(Object.keys(body)).toEqual(['type', 'occur_at', 'operator', 'event_data']);
    expect(Object.keys(body.event_data.repository)).toEqual(['date_created', 'name', 'namespace', 'repo_full_name', 'repo_type']);
  });

  it('names an untagged artifact by its digest, with @ in the resource URL (a pull by digest)', () => {
    const body = JSON.parse(formatDefault(pushed({ type: 'PULL_ARTIFACT', tags: [] })).body);
    expect(body.type).toBe('PULL_ARTIFACT');
    expect(body.event_data.resources).toEqual([{ digest, tag: digest, resource_url: `harbor.dev/library/busybox@${digest}` }]);
  });

  it('keeps the path inside the project as the name of a nested repository and says private for a private project', () => {
    const body = JSON.parse(
      formatDefault(pushed({ project: { id: 7, name: 'team', public: false }, repository: { name: 'team/apps/web' }, tags: ['1.0'], registryHost: '127.0.0.1:5000' })).body,
    );
    expect(body.event_data.repository).toEqual({ name: 'apps/web', namespace: 'team', repo_full_name: 'team/apps/web', repo_type: 'private' });
    expect(body.event_data.resources[0].resource_url).toBe('127.0.0.1:5000/team/apps/web:1.0');
  });

  it("renders a quota event with Harbor's custom attributes and no resource URL", () => {
    const body = JSON.parse(formatDefault(pushed({ type: 'QUOTA_EXCEED', tags: [], custom: { Details: 'over the limit' }, bareResource: true })).body);
    expect(body.event_data).toEqual({
      resources: [{ digest }],
      repository: { date_created: 1677053165, name: 'busybox', namespace: 'library', repo_full_name: 'library/busybox', repo_type: 'public' },
      custom_attributes: { Details: 'over the limit' },
    });
  });

  it('leaves out the repository and resources of a project-wide event', () => {
    const body = JSON.parse(formatDefault(pushed({ type: 'QUOTA_WARNING', repository: undefined, digest: undefined, tags: [], custom: { Details: 'x' } })).body);
    expect(body.event_data).toEqual({ custom_attributes: { Details: 'x' } });
  });
});

describe('the CloudEvents formatter', () => {
  it("renders a CloudEvents 1.0 structured event as Harbor does, with Harbor's EventData as data", () => {
    const out = formatCloudEvents(pushed({ type: 'PULL_ARTIFACT', tags: [] }), policy);
    expect(out.contentType).toBe('application/cloudevents+json');
    expect(JSON.parse(out.body)).toEqual({
      specversion: '1.0',
      id: '4b2f89a6-548d-4c12-9993-a1f5790b97d2',
      requestid: '2eedfab8-61d3-4f3c-8ec3-8f82d1ec4c84',
      source: '/projects/1/webhook/policies/3',
      type: 'harbor.artifact.pulled',
      datacontenttype: 'application/json',
      time: '2023-03-06T06:08:43Z',
      data: {
        resources: [{ digest, tag: digest, resource_url: `harbor.dev/library/busybox@${digest}` }],
        repository: { date_created: 1677053165, name: 'busybox', namespace: 'library', repo_full_name: 'library/busybox', repo_type: 'public' },
      },
      operator: 'admin',
    });
  });

  it.each([
    ['PUSH_ARTIFACT', 'harbor.artifact.pushed'],
    ['DELETE_ARTIFACT', 'harbor.artifact.deleted'],
    ['QUOTA_EXCEED', 'harbor.quota.exceeded'],
    ['QUOTA_WARNING', 'harbor.quota.warned'],
  ])('types %s as %s', (type, cloudType) => {
    expect(JSON.parse(formatCloudEvents(pushed({ type }), policy).body).type).toBe(cloudType);
  });

  it('has no requestid extension for an event no request caused', () => {
    const body = JSON.parse(formatCloudEvents(pushed({ requestId: undefined }), { id: 9, projectId: 4 }).body);
    expect(body).not.toHaveProperty('requestid');
    expect(body.source).toBe('/projects/4/webhook/policies/9');
  });
});

describe('the Rainbond formatter', () => {
  it("carries Harbor's Default fields and Docker Hub's push fields, repo_name with the registry host", () => {
    const out = formatRainbond(pushed({ registryHost: 'registry.example.com:8443' }));
    expect(out.contentType).toBe('application/json');
    const body = JSON.parse(out.body);
    const harbor = JSON.parse(formatDefault(pushed({ registryHost: 'registry.example.com:8443' })).body);
    for (const key of ['type', 'occur_at', 'operator', 'event_data']) expect(body[key]).toEqual(harbor[key]);
    expect(body.push_data).toEqual({ pushed_at: 1678082923, pusher: 'admin', tag: 'latest' });
    expect(body.repository).toEqual({
      date_created: 1677053165,
      name: 'busybox',
      namespace: 'library',
      owner: 'library',
      repo_name: 'registry.example.com:8443/library/busybox',
      is_private: false,
      status: 'Active',
    });
  });

  it('names a nested repository by its path inside the project', () => {
    const body = JSON.parse(formatRainbond(pushed({ project: { id: 2, name: 'team', public: false }, repository: { name: 'team/apps/web' } })).body);
    expect(body.repository).toMatchObject({ name: 'apps/web', namespace: 'team', repo_name: 'harbor.dev/team/apps/web', is_private: true });
    expect(body.event_data.repository.repo_full_name).toBe('team/apps/web');
  });

  it('is sent for pushes only, while the other formats take every type', () => {
    expect(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'QUOTA_EXCEED'].filter((t) => payloadFormats.Rainbond.accepts(t))).toEqual(['PUSH_ARTIFACT']);
    expect(payloadFormats.Default.accepts('DELETE_ARTIFACT')).toBe(true);
    expect(payloadFormats.CloudEvents.accepts('QUOTA_WARNING')).toBe(true);
  });
});
