import type { StatFunction } from './model.js';

/** Points a window keeps at most; beyond it the oldest go first (a 1 h window of a 100 Hz sensor is 360,000). */
export const DEFAULT_MAX_WINDOW_POINTS = 200_000;

/** A double-ended queue of point sequence numbers in a growable ring (the monotonic deques of min and max). */
class SeqDeque {
  private buf = new Float64Array(16);
  private head = 0;
  size = 0;

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  front(): number {
    return this.buf[this.head] as number;
  }

  back(): number {
    return this.buf[(this.head + this.size - 1) & (this.buf.length - 1)] as number;
  }

  pushBack(seq: number): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = seq;
    this.size++;
  }

  popBack(): void {
    this.size--;
  }

  popFront(): void {
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
  }

  private grow(): void {
    const next = new Float64Array(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)] as number;
    this.buf = next;
    this.head = 0;
  }
}

/**
 * The points of one device key over the last `windowMs` of point time, with every statistic available in O(1)
 * per point: a ring buffer of (ts, value), a running sum and Welford's mean/M2 updated on add and on eviction,
 * and monotonic deques for min and max. The running figures are recomputed exactly from the buffer once per
 * `size` evictions, so floating-point drift stays bounded at amortized O(1).
 *
 * Time is the points' own: the window holds points with ts in (newest − windowMs, newest]. A point older than
 * the newest one is counted at the newest ts (devices resend and reorder a little); one that is already
 * outside the window is ignored.
 */
export class SlidingWindow {
  private ts: Float64Array;
  private vals: Float64Array;
  private head = 0;
  private length = 0;
  /** Sequence number of the oldest point; the point with sequence s sits at head + (s − firstSeq). */
  private firstSeq = 0;
  private readonly minQ = new SeqDeque();
  private readonly maxQ = new SeqDeque();
  private sum = 0;
  private mean = 0;
  private m2 = 0;
  private evictionsSinceExact = 0;
  private newest = Number.NEGATIVE_INFINITY;
  /** False while history is being loaded from storage; statistics are not judged until it is. */
  warm = true;

  constructor(
    readonly windowMs: number,
    private readonly maxPoints: number = DEFAULT_MAX_WINDOW_POINTS,
  ) {
    this.ts = new Float64Array(16);
    this.vals = new Float64Array(16);
  }

  get count(): number {
    return this.length;
  }

  get newestTs(): number {
    return this.newest;
  }

  push(ts: number, value: number): void {
    if (!Number.isFinite(value)) return;
    let at = ts;
    if (at < this.newest) {
      if (at <= this.newest - this.windowMs) return;
      at = this.newest;
    }
    this.newest = at;
    this.evictBefore(at - this.windowMs);
    if (this.length >= this.maxPoints) this.evictOldest();
    if (this.length === this.ts.length) this.grow();
    const seq = this.firstSeq + this.length;
    const idx = (this.head + this.length) % this.ts.length;
    this.ts[idx] = at;
    this.vals[idx] = value;
    this.length++;
    this.sum += value;
    const d = value - this.mean;
    this.mean += d / this.length;
    this.m2 += d * (value - this.mean);
    while (this.minQ.size > 0 && this.valueOf(this.minQ.back()) >= value) this.minQ.popBack();
    this.minQ.pushBack(seq);
    while (this.maxQ.size > 0 && this.valueOf(this.maxQ.back()) <= value) this.maxQ.popBack();
    this.maxQ.pushBack(seq);
  }

  /** The statistic over the window; null when it has no value (no points, except count which is 0). */
  stat(fn: StatFunction): number | null {
    if (fn !== 'count' && this.length === 0) return null;
    switch (fn) {
      case 'count':
        return this.length;
      case 'sum':
        return this.sum;
      case 'avg':
        return this.mean;
      case 'min':
        return this.valueOf(this.minQ.front());
      case 'max':
        return this.valueOf(this.maxQ.front());
      case 'stddev':
        // Sample standard deviation (n − 1), as SQL's stddev and Grafana compute it; one point: 0. Equal min and
        // max mean exactly 0, whatever rounding M2 kept from points that left (a flat signal must not read 1e-9).
        if (this.length < 2 || this.valueOf(this.minQ.front()) === this.valueOf(this.maxQ.front())) return 0;
        return Math.sqrt(Math.max(0, this.m2) / (this.length - 1));
    }
  }

  /** The points in order, oldest first (for the test endpoint and for merging history). */
  points(): { ts: number; value: number }[] {
    const out: { ts: number; value: number }[] = [];
    for (let i = 0; i < this.length; i++) {
      const idx = (this.head + i) % this.ts.length;
      out.push({ ts: this.ts[idx] as number, value: this.vals[idx] as number });
    }
    return out;
  }

  /**
   * Puts history loaded from storage before the points that arrived live meanwhile: history points at or
   * after the first live point are dropped (the live ones are the same data), then everything is replayed.
   */
  prependHistory(history: readonly { ts: number; value: number }[]): void {
    const live = this.points();
    const firstLive = live[0]?.ts ?? Number.POSITIVE_INFINITY;
    this.reset();
    for (const p of history) if (p.ts < firstLive) this.push(p.ts, p.value);
    for (const p of live) this.push(p.ts, p.value);
  }

  reset(): void {
    this.head = 0;
    this.length = 0;
    this.firstSeq = 0;
    this.minQ.clear();
    this.maxQ.clear();
    this.sum = 0;
    this.mean = 0;
    this.m2 = 0;
    this.evictionsSinceExact = 0;
    this.newest = Number.NEGATIVE_INFINITY;
  }

  private valueOf(seq: number): number {
    return this.vals[(this.head + (seq - this.firstSeq)) % this.ts.length] as number;
  }

  private evictBefore(limit: number): void {
    while (this.length > 0 && (this.ts[this.head] as number) <= limit) this.evictOldest();
  }

  private evictOldest(): void {
    const value = this.vals[this.head] as number;
    const seq = this.firstSeq;
    if (this.minQ.size > 0 && this.minQ.front() === seq) this.minQ.popFront();
    if (this.maxQ.size > 0 && this.maxQ.front() === seq) this.maxQ.popFront();
    this.head = (this.head + 1) % this.ts.length;
    this.firstSeq++;
    this.length--;
    if (this.length === 0) {
      this.sum = 0;
      this.mean = 0;
      this.m2 = 0;
      this.evictionsSinceExact = 0;
      return;
    }
    this.sum -= value;
    const oldMean = this.mean;
    this.mean = oldMean + (oldMean - value) / this.length;
    this.m2 -= (value - oldMean) * (value - this.mean);
    if (++this.evictionsSinceExact >= Math.max(1024, this.length)) this.recomputeExact();
  }

  /** Exact sum, mean and M2 from the buffer (two-pass), to shed accumulated rounding. */
  private recomputeExact(): void {
    let sum = 0;
    for (let i = 0; i < this.length; i++) sum += this.vals[(this.head + i) % this.ts.length] as number;
    const mean = sum / this.length;
    let m2 = 0;
    for (let i = 0; i < this.length; i++) {
      const d = (this.vals[(this.head + i) % this.ts.length] as number) - mean;
      m2 += d * d;
    }
    this.sum = sum;
    this.mean = mean;
    this.m2 = m2;
    this.evictionsSinceExact = 0;
  }

  private grow(): void {
    const cap = this.ts.length * 2;
    const ts = new Float64Array(cap);
    const vals = new Float64Array(cap);
    for (let i = 0; i < this.length; i++) {
      const idx = (this.head + i) % this.ts.length;
      ts[i] = this.ts[idx] as number;
      vals[i] = this.vals[idx] as number;
    }
    this.ts = ts;
    this.vals = vals;
    this.head = 0;
  }
}
