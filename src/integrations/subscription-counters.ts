/** Counts of one subscription not yet written to its row. */
export interface CounterDelta {
  received: number;
  executed: number;
  failed: number;
  lastMessageAt: number | null;
  /** Set when an action failed since the last flush (empty string never: null means "no news"). */
  lastError: string | null;
}

const empty = (): CounterDelta => ({ received: 0, executed: 0, failed: 0, lastMessageAt: null, lastError: null });

/**
 * Per-subscription message and action counters, kept in memory on the hot path and added to the rows every few
 * seconds (one UPDATE per busy subscription, not one per message). Reads add what is not flushed yet, so the
 * API always shows the current figures.
 *
 * A read takes a row and then the pending deltas. While a flush writes, the deltas it took are in neither (the
 * row is not committed yet, the map is already empty), so reads go through `consistent()`: they wait for a
 * running flush and read again if one started under them.
 */
export class SubscriptionCounters {
  private pending = new Map<string, CounterDelta>();
  private writing: Promise<void> | null = null;
  /** Bumped when a flush takes the deltas: a read that saw another value may have missed them. */
  private epoch = 0;

  private delta(id: string): CounterDelta {
    let d = this.pending.get(id);
    if (!d) {
      d = empty();
      this.pending.set(id, d);
    }
    return d;
  }

  received(id: string, at: number): void {
    const d = this.delta(id);
    d.received++;
    d.lastMessageAt = Math.max(d.lastMessageAt ?? 0, at);
  }

  executed(id: string): void {
    this.delta(id).executed++;
  }

  failed(id: string, error: string): void {
    const d = this.delta(id);
    d.failed++;
    d.lastError = error.slice(0, 1000);
  }

  /** What is not flushed yet for this subscription. */
  peek(id: string): CounterDelta | undefined {
    return this.pending.get(id);
  }

  /**
   * Takes every pending delta and hands them to `write`; when it throws, they are given back (and the error
   * rethrown) so that the next flush writes them. One flush at a time.
   */
  async flush(write: (deltas: Map<string, CounterDelta>) => Promise<void>): Promise<void> {
    while (this.writing) await this.writing;
    const taken = this.pending;
    this.pending = new Map();
    this.epoch++;
    let done!: () => void;
    this.writing = new Promise((resolve) => {
      done = resolve;
    });
    try {
      await write(taken);
    } catch (err) {
      this.restore(taken);
      throw err;
    } finally {
      this.writing = null;
      done();
    }
  }

  /** Runs a read of rows plus peek() so that no flush moves deltas between the two under it. */
  async consistent<T>(read: () => Promise<T>): Promise<T> {
    for (;;) {
      while (this.writing) await this.writing;
      const epoch = this.epoch;
      const value = await read();
      if (epoch === this.epoch && !this.writing) return value;
    }
  }

  private restore(deltas: Map<string, CounterDelta>): void {
    for (const [id, d] of deltas) {
      const cur = this.delta(id);
      cur.received += d.received;
      cur.executed += d.executed;
      cur.failed += d.failed;
      if (d.lastMessageAt !== null) cur.lastMessageAt = Math.max(cur.lastMessageAt ?? 0, d.lastMessageAt);
      cur.lastError ??= d.lastError;
    }
  }

  forget(id: string): void {
    this.pending.delete(id);
  }
}
