import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import type { DomainEvent } from './event-types.ts';
import { EventBus } from './event-bus.ts';

describe('EventBus', () => {
  it('delivers events after the emitter goes on, to named and catch-all handlers', async () => {
    const bus = new EventBus(createLogger('silent'));
    const seen: string[] = [];
    bus.on('user.created', (e) => void seen.push(`named:${e.data.username}:${e.operator}`));
    bus.on('*', (e) => void seen.push(`all:${e.name}`));
    bus.emit('user.created', 'admin', { userId: 1, username: 'alice' });
    expect(seen).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['named:alice:admin', 'all:user.created']);
  });

  it('never lets a failing handler reach the emitter or the other handlers', async () => {
    const bus = new EventBus(createLogger('silent'));
    const seen: DomainEvent[] = [];
    bus.on('project.deleted', () => {
      throw new Error('boom');
    });
    bus.on('project.deleted', (e) => void seen.push(e));
    expect(() => bus.emit('project.deleted', 'admin', { projectId: 1, name: 'x' })).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toHaveLength(1);
  });
});
