import { describe, expect, it } from 'vitest';
import { type CounterDelta, SubscriptionCounters } from './subscription-counters.js';

/** A row store as the flush sees it: deltas land in `rows` only when the write "commits". */
function fakeRows() {
  const rows = new Map<string, number>();
  const add = (deltas: Map<string, CounterDelta>) => {
    for (const [id, d] of deltas) rows.set(id, (rows.get(id) ?? 0) + d.received);
  };
  return { rows, add };
}

describe('SubscriptionCounters', () => {
  it('shows every counted message to a read that runs while a flush writes', async () => {
    const counters = new SubscriptionCounters();
    const { rows, add } = fakeRows();
    for (let i = 0; i < 5; i++) counters.received('s1', 1000 + i);
    let commit!: () => void;
    const flushing = counters.flush(
      (deltas) =>
        new Promise<void>((resolve) => {
          commit = () => {
            add(deltas);
            resolve();
          };
        }),
    );
    const read = counters.consistent(async () => (rows.get('s1') ?? 0) + (counters.peek('s1')?.received ?? 0));
    commit();
    await flushing;
    expect(await read).toBe(5);
  });

  it('reads again when a flush starts between the row and the pending deltas', async () => {
    const counters = new SubscriptionCounters();
    const { rows, add } = fakeRows();
    for (let i = 0; i < 3; i++) counters.received('s1', 1000 + i);
    let reads = 0;
    let flushing: Promise<void> | undefined;
    const value = await counters.consistent(async () => {
      reads++;
      const row = rows.get('s1') ?? 0;
      // The first time, a flush takes the deltas after the row was read and before they are peeked.
      if (reads === 1) flushing = counters.flush(async (d) => add(d));
      return row + (counters.peek('s1')?.received ?? 0);
    });
    await flushing;
    expect(reads).toBe(2);
    expect(value).toBe(3);
  });

  it('gives the deltas back when the write fails, so the next flush writes them', async () => {
    const counters = new SubscriptionCounters();
    const { rows, add } = fakeRows();
    counters.received('s1', 1);
    counters.executed('s1');
    await expect(
      counters.flush(async () => {
        throw new Error('database is locked');
      }),
    ).rejects.toThrow('database is locked');
    counters.received('s1', 2);
    expect(counters.peek('s1')).toMatchObject({ received: 2, executed: 1 });
    await counters.flush(async (d) => add(d));
    expect(rows.get('s1')).toBe(2);
    expect(counters.peek('s1')).toBeUndefined();
  });
});
