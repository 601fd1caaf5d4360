import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommitBatcher, type GroupCommitOptions } from './group-commit.js';

/** A batcher of unit-weight numbers whose flush of the batch starting with 1 is held until release(). */
function heldOnFirst(options: GroupCommitOptions) {
  const batches: number[][] = [];
  let held: () => void = () => {};
  const b = new GroupCommitBatcher<number>(
    async (items) => {
      batches.push(items);
      if (items[0] === 1) await new Promise<void>((r) => (held = r));
    },
    () => 1,
    options,
  );
  return { b, batches, release: () => held() };
}

describe('GroupCommitBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds items until the delay passes, then writes them in one batch and resolves each', async () => {
    const batches: number[][] = [];
    const b = new GroupCommitBatcher<number>(
      (items) => void batches.push(items),
      () => 1,
      { maxWeight: 100, maxDelayMs: 5 },
    );
    const done = [b.add(1), b.add(2), b.add(3)];
    let settled = false;
    void Promise.all(done).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(4);
    expect(batches).toEqual([]);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(settled).toBe(true);
  });

  it('with no delay, writes what arrived in the same turn together as soon as the writer is idle', async () => {
    vi.useRealTimers();
    const { b, batches, release } = heldOnFirst({ maxWeight: 100, maxDelayMs: 0 });
    // An idle writer: the items of this turn go in the next check phase, without waiting for a timer.
    const first = Promise.all([b.add(1), b.add(2)]);
    await new Promise<void>((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    // A busy writer: what arrives meanwhile waits for it and goes as one batch when it ends.
    const later = Promise.all([b.add(3), b.add(4), b.add(5)]);
    await new Promise<void>((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    release();
    await first;
    await later;
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('flushes at once when enough weight waits', async () => {
    const batches: number[][] = [];
    const b = new GroupCommitBatcher<number>(
      (items) => void batches.push(items),
      (n) => n,
      { maxWeight: 10, maxDelayMs: 1000 },
    );
    const p = Promise.all([b.add(4), b.add(6)]);
    await vi.advanceTimersByTimeAsync(0);
    await p;
    expect(batches).toEqual([[4, 6]]);
  });

  it('runs one flush at a time; what arrives meanwhile is the next batch, in order', async () => {
    const { b, batches, release } = heldOnFirst({ maxWeight: 1, maxDelayMs: 5 });
    const first = b.add(1);
    await vi.advanceTimersByTimeAsync(0);
    const later = [b.add(2), b.add(3)];
    await vi.advanceTimersByTimeAsync(50);
    expect(batches).toEqual([[1]]);
    release();
    await first;
    await Promise.all(later);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('counts the delay from the oldest item: what waited through a long flush goes as soon as it ends', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const b = new GroupCommitBatcher<number>(
      async (items) => {
        batches.push(items);
        if (items[0] === 1) await new Promise<void>((r) => (release = r));
      },
      () => 1,
      { maxWeight: 100, maxDelayMs: 5 },
    );
    const first = b.add(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([[1]]);
    const second = b.add(2);
    await vi.advanceTimersByTimeAsync(20);
    release();
    await first;
    // Item 2 has waited 20 ms already: it is written when the flush ends, not 5 ms later.
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1], [2]]);
    await second;
    // An item arriving right after waits the full delay for company again.
    const third = b.add(3);
    await vi.advanceTimersByTimeAsync(4);
    expect(batches).toEqual([[1], [2]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1], [2], [3]]);
    await third;
  });

  it('rejects every item of a failed batch and keeps working for the next', async () => {
    let fail = true;
    const b = new GroupCommitBatcher<number>(
      () => {
        if (fail) throw new Error('disk full');
      },
      () => 1,
      { maxWeight: 100, maxDelayMs: 1 },
    );
    const bad = [b.add(1), b.add(2)].map((p) => p.catch((e: Error) => e.message));
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(bad)).toEqual(['disk full', 'disk full']);
    fail = false;
    const ok = b.add(3);
    await vi.advanceTimersByTimeAsync(1);
    await expect(ok).resolves.toBeUndefined();
  });

  it('writes what waits on close and refuses afterwards', async () => {
    const batches: number[][] = [];
    const b = new GroupCommitBatcher<number>(
      (items) => void batches.push(items),
      () => 1,
      { maxWeight: 100, maxDelayMs: 1000 },
    );
    const p = b.add(7);
    await b.close();
    await p;
    expect(batches).toEqual([[7]]);
    await expect(b.add(8)).rejects.toThrow(/stopped/);
  });
});
