import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBus, type FieldlineEvents } from '../kernel/index.js';
import type { DeviceRef } from './device-ref.js';
import { PresenceTracker } from './presence.js';
import type { DeviceStore } from './store.js';

const ref = (id: string, inactivityTimeoutS: number | null = 60): DeviceRef => ({
  id,
  organizationId: 'org-1',
  name: id,
  deviceType: 'sensor',
  active: true,
  inactivityTimeoutS,
});

describe('PresenceTracker', () => {
  let now: number;
  let writes: { id: string; status: string; last_seen: number | null }[][];
  let events: FieldlineEvents['device.status'][];
  let presence: PresenceTracker;

  beforeEach(async () => {
    vi.useFakeTimers();
    now = 1_800_000_000_000;
    writes = [];
    events = [];
    const store = {
      online: async () => [],
      writePresence: async (u: { id: string; status: string; last_seen: number | null }[]) => void writes.push(u),
    } as unknown as DeviceStore;
    const bus = new EventBus<FieldlineEvents>();
    bus.on('device.status', (e) => void events.push(e));
    presence = new PresenceTracker(store, bus, { now: () => now }, { warn: () => {} } as never, { tickMs: 1000 });
    await presence.start();
  });
  afterEach(async () => {
    await presence.stop();
    vi.useRealTimers();
  });

  const advance = async (ms: number) => {
    now += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };

  it('knows when a device was last heard from before the tick writes it', async () => {
    expect(presence.lastSeenOf('d1')).toBeUndefined();
    presence.connected(ref('d1'));
    expect(presence.lastSeenOf('d1')).toBe(now);
    await advance(500);
    presence.seen(ref('d1'));
    expect(presence.lastSeenOf('d1')).toBe(now);
    presence.disconnected(ref('d1'));
    expect(presence.lastSeenOf('d1')).toBe(now);
    await advance(1000);
    expect(writes.flat().at(-1)).toEqual({ id: 'd1', status: 'offline', last_seen: now - 1000 });
  });

  it('goes online with data and offline after the inactivity timeout of silence', async () => {
    presence.seen(ref('d1'));
    expect(events.map((e) => [e.status, e.reason])).toEqual([['online', 'data']]);
    await advance(59_000);
    expect(presence.statusOf('d1')).toBe('online');
    await advance(2_000);
    expect(presence.statusOf('d1')).toBe('offline');
    expect(events.at(-1)).toMatchObject({
      device_id: 'd1',
      status: 'offline',
      reason: 'inactivity',
      organization_id: 'org-1',
    });
  });

  it('keeps a connected device online through silence, and takes it offline on disconnect', async () => {
    presence.connected(ref('d2'));
    await advance(10 * 60_000);
    expect(presence.statusOf('d2')).toBe('online');
    presence.disconnected(ref('d2'));
    expect(presence.statusOf('d2')).toBe('offline');
    expect(events.map((e) => e.reason)).toEqual(['connect', 'disconnect']);
  });

  it('stays online while a second connection of the same device is open', () => {
    presence.connected(ref('d3'));
    presence.connected(ref('d3'));
    presence.disconnected(ref('d3'));
    expect(presence.statusOf('d3')).toBe('online');
    presence.disconnected(ref('d3'), 'will');
    expect(presence.statusOf('d3')).toBe('offline');
    expect(events.at(-1)?.reason).toBe('will');
  });

  it('follows status messages and announces each change once', () => {
    presence.reported(ref('d4'), 'online');
    presence.reported(ref('d4'), 'online');
    presence.reported(ref('d4'), 'offline');
    expect(events.map((e) => e.status)).toEqual(['online', 'offline']);
  });

  it('writes presence in one batch per tick, not per message', async () => {
    for (let i = 0; i < 100; i++) presence.seen(ref('d5'));
    presence.seen(ref('d6'));
    await advance(1000);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.map((w) => w.id).sort()).toEqual(['d5', 'd6']);
    await advance(1000);
    expect(writes).toHaveLength(1);
  });

  it('uses the default timeout when the device sets none', async () => {
    presence.seen(ref('d7', null));
    await advance(599_000);
    expect(presence.statusOf('d7')).toBe('online');
    await advance(2_000);
    expect(presence.statusOf('d7')).toBe('offline');
  });
});
