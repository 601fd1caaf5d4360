import type { Clock } from '../kernel/index.js';

/** setTimeout's longest delay (2^31 − 1 ms, ~24.8 days); longer waits are re-armed. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Deadlines in a binary min-heap behind one timer. Silence detection puts one entry per device and rule here
 * and leaves it when data arrives (the entry is re-queued lazily when it comes due), so a point costs O(1)
 * and the process wakes only when some deadline actually passes — no sweep over devices.
 */
export class DeadlineQueue<T> {
  private readonly heap: { due: number; item: T }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (item: T, now: number) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  push(due: number, item: T): void {
    if (this.stopped) return;
    const h = this.heap;
    h.push({ due, item });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as { due: number }).due <= due) break;
      [h[i], h[parent]] = [h[parent] as { due: number; item: T }, h[i] as { due: number; item: T }];
      i = parent;
    }
    if (due < this.armedFor) this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.heap.length = 0;
  }

  /** Runs every entry that is due (exposed for tests; the timer calls it). */
  runDue(): void {
    const now = this.clock.now();
    while (this.heap.length > 0 && (this.heap[0] as { due: number }).due <= now) {
      const top = this.pop();
      this.onDue(top.item, now);
    }
    this.arm();
  }

  private pop(): { due: number; item: T } {
    const h = this.heap;
    const top = h[0] as { due: number; item: T };
    const last = h.pop() as { due: number; item: T };
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as { due: number }).due < (h[m] as { due: number }).due) m = l;
        if (r < h.length && (h[r] as { due: number }).due < (h[m] as { due: number }).due) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as { due: number; item: T }, h[i] as { due: number; item: T }];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (this.stopped || this.heap.length === 0) return;
    const due = (this.heap[0] as { due: number }).due;
    this.armedFor = due;
    this.timer = setTimeout(() => this.runDue(), Math.min(MAX_TIMER_MS, Math.max(0, due - this.clock.now())));
    this.timer.unref();
  }
}
