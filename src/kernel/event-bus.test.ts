import { describe, expect, it, vi } from 'vitest';
import { EventBus } from './event-bus.js';

interface TestEvents {
  ping: { n: number };
}

describe('EventBus', () => {
  it('delivers to every listener and keeps going when one throws', () => {
    const error = vi.fn();
    const bus = new EventBus<TestEvents>({ error } as never);
    const seen: number[] = [];
    bus.on('ping', () => {
      throw new Error('boom');
    });
    bus.on('ping', (p) => {
      seen.push(p.n);
    });
    bus.emit('ping', { n: 1 });
    expect(seen).toEqual([1]);
    expect(error).toHaveBeenCalledOnce();
  });

  it('unsubscribes', () => {
    const bus = new EventBus<TestEvents>();
    const seen: number[] = [];
    const off = bus.on('ping', (p) => {
      seen.push(p.n);
    });
    bus.emit('ping', { n: 1 });
    off();
    bus.emit('ping', { n: 2 });
    expect(seen).toEqual([1]);
    expect(bus.listenerCount('ping')).toBe(0);
  });
});
