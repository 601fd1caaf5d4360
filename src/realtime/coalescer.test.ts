import { describe, expect, it } from 'vitest';
import { TelemetryCoalescer } from './coalescer.js';
import type { TelemetryUpdatePayload } from './events.js';

const update = (device: string, second: number, values: TelemetryUpdatePayload['values']): TelemetryUpdatePayload => ({
  device_id: device,
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  values,
});

/** A socket whose queue we fill and empty by hand; scheduled drains run when the test says so. */
function harness(max = 3) {
  const written: TelemetryUpdatePayload[] = [];
  const state = { queued: 0 };
  const pending: (() => void)[] = [];
  const coalescer = new TelemetryCoalescer(
    {
      queuedPackets: () => state.queued,
      write: (u) => {
        written.push(u);
        state.queued++;
      },
    },
    max,
    (fn) => pending.push(fn),
  );
  const runScheduled = () => {
    for (const fn of pending.splice(0)) fn();
  };
  return { coalescer, written, state, runScheduled, pending };
}

describe('TelemetryCoalescer', () => {
  it('writes straight through while the socket keeps up', () => {
    const h = harness();
    h.coalescer.offer(update('a', 1, { t: 1 }));
    h.state.queued = 0;
    h.coalescer.offer(update('a', 2, { t: 2 }));
    expect(h.written).toHaveLength(2);
    expect(h.coalescer.heldTotal).toBe(0);
  });

  it('holds one update per device once the queue is full, keeping the newest value of every key', () => {
    const h = harness(2);
    h.coalescer.offer(update('a', 1, { t: 1 }));
    h.coalescer.offer(update('b', 1, { p: 1 }));
    // Queue full: from here on, updates are held.
    h.coalescer.offer(update('a', 2, { t: 2, rpm: 10 }));
    h.coalescer.offer(update('a', 3, { t: 3 }));
    h.coalescer.offer(update('b', 2, { p: 2 }));
    expect(h.written).toHaveLength(2);
    expect(h.coalescer.heldDevices).toBe(2);
    expect(h.coalescer.heldTotal).toBe(3);
    // While updates are held, even with room in the queue, newer ones queue behind them (no reordering).
    h.state.queued = 0;
    expect(h.coalescer.lagging).toBe(true);
    h.coalescer.offer(update('a', 4, { t: 4 }));
    expect(h.written).toHaveLength(2);

    h.coalescer.onDrain();
    h.coalescer.onDrain();
    expect(h.pending).toHaveLength(1);
    h.runScheduled();
    expect(h.written.slice(2)).toEqual([update('a', 4, { t: 4, rpm: 10 }), update('b', 2, { p: 2 })]);
    expect(h.coalescer.heldDevices).toBe(0);
  });

  it('writes held updates only while the queue has room, oldest device first; the rest wait for the next drain', () => {
    const h = harness(2);
    h.state.queued = 2;
    for (const d of ['a', 'b', 'c']) h.coalescer.offer(update(d, 1, { v: d }));
    h.state.queued = 0;
    h.coalescer.onDrain();
    h.runScheduled();
    expect(h.written.map((u) => u.device_id)).toEqual(['a', 'b']);
    h.state.queued = 0;
    h.coalescer.onDrain();
    h.runScheduled();
    expect(h.written.map((u) => u.device_id)).toEqual(['a', 'b', 'c']);
  });

  it('does not let a back-filled older point overwrite a newer value', () => {
    const h = harness(1);
    h.state.queued = 1;
    h.coalescer.offer(update('a', 10, { t: 10, p: 5 }));
    h.coalescer.offer(update('a', 5, { t: 5, rpm: 1 }));
    h.state.queued = 0;
    h.coalescer.flush();
    expect(h.written).toEqual([update('a', 10, { t: 10, p: 5, rpm: 1 })]);
  });

  it('forgets a device on unsubscribe and everything on close', () => {
    const h = harness(1);
    h.state.queued = 1;
    h.coalescer.offer(update('a', 1, { v: 1 }));
    h.coalescer.offer(update('b', 1, { v: 1 }));
    h.coalescer.forget('a');
    expect(h.coalescer.heldDevices).toBe(1);
    h.coalescer.close();
    h.state.queued = 0;
    h.coalescer.onDrain();
    h.coalescer.flush();
    expect(h.written).toEqual([]);
  });
});
