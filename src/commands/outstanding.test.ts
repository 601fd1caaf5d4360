import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Outstanding, OutstandingCommands } from './outstanding.js';
import type { CommandRow } from './store.js';

const row = (id: string, patch: Partial<CommandRow> = {}): CommandRow => ({
  id,
  organization_id: 'org',
  device_id: 'dev',
  name: 'ping',
  params: '{}',
  status: 'pending',
  family: 'native',
  timeout_ms: 500,
  response: null,
  error: null,
  created_by: null,
  created_at: Date.now(),
  expires_at: Date.now() + 10_000,
  delivered_at: null,
  completed_at: null,
  ...patch,
});

describe('outstanding commands', () => {
  let due: Outstanding[];
  let tracker: OutstandingCommands;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    due = [];
    tracker = new OutstandingCommands({ now: () => Date.now() }, (o) => due.push(o));
  });
  afterEach(() => {
    tracker.clear();
    vi.useRealTimers();
  });

  it('fires a pending command at expires_at, and a delivered one timeout_ms after delivery', () => {
    const a = tracker.add(row('a'));
    vi.advanceTimersByTime(9_999);
    expect(due).toEqual([]);
    tracker.delivered(a, Date.now(), 'native');
    vi.advanceTimersByTime(499);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due.map((o) => [o.id, o.status])).toEqual([['a', 'delivered']]);
  });

  it('goes back to the expiry deadline when a delivery is undone', () => {
    const a = tracker.add(row('a'));
    tracker.delivered(a, Date.now(), 'native');
    tracker.undelivered(a);
    vi.advanceTimersByTime(5_000);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(5_000);
    expect(due.map((o) => o.status)).toEqual(['pending']);
  });

  it('recovers a delivered row with the time already spent waiting', () => {
    tracker.add(row('b', { status: 'delivered', delivered_at: Date.now() - 400 }));
    vi.advanceTimersByTime(100);
    expect(due.map((o) => o.id)).toEqual(['b']);
  });

  it('waits past the 24.8-day limit of setTimeout without firing early', () => {
    tracker.add(row('c', { expires_at: Date.now() + 30 * 86_400_000 }));
    vi.advanceTimersByTime(29 * 86_400_000);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(86_400_000);
    expect(due.map((o) => o.id)).toEqual(['c']);
  });

  it('keeps each device queue in creation order and forgets removed commands', () => {
    tracker.add(row('1'));
    tracker.add(row('2'));
    tracker.add(row('x', { device_id: 'other' }));
    expect(tracker.ofDevice('dev').map((o) => o.id)).toEqual(['1', '2']);
    expect(tracker.hasPending('dev')).toBe(true);
    tracker.remove('1');
    tracker.forgetDevice('other');
    expect(tracker.idsOf('dev')).toEqual(['2']);
    expect(tracker.idsOf('other')).toEqual([]);
    vi.advanceTimersByTime(20_000);
    expect(due.map((o) => o.id)).toEqual(['2']);
  });
});
