import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STAT_FUNCTIONS, type StatFunction } from './model.js';
import { SlidingWindow } from './sliding-window.js';

/** The obvious O(n) recomputation over the points the window should hold, with the same time rules. */
class NaiveWindow {
  points: { ts: number; value: number }[] = [];
  newest = Number.NEGATIVE_INFINITY;
  constructor(
    readonly windowMs: number,
    readonly maxPoints: number,
  ) {}

  push(ts: number, value: number): void {
    let at = ts;
    if (at < this.newest) {
      if (at <= this.newest - this.windowMs) return;
      at = this.newest;
    }
    this.newest = at;
    this.points = this.points.filter((p) => p.ts > at - this.windowMs);
    if (this.points.length >= this.maxPoints) this.points.shift();
    this.points.push({ ts: at, value });
  }

  stat(fn: StatFunction): number | null {
    const v = this.points.map((p) => p.value);
    if (fn !== 'count' && v.length === 0) return null;
    const sum = v.reduce((a, b) => a + b, 0);
    const mean = sum / v.length;
    switch (fn) {
      case 'count':
        return v.length;
      case 'sum':
        return sum;
      case 'avg':
        return mean;
      case 'min':
        return Math.min(...v);
      case 'max':
        return Math.max(...v);
      case 'stddev':
        return v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1));
    }
  }
}

const step = fc.record({
  // Mostly forward in time, sometimes a jump past the window, sometimes a little back (reordering).
  dt: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 400 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3000, max: -1 }) },
  ),
  value: fc.oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  ),
});

const close = (actual: number | null, expected: number | null, scale: number) => {
  if (expected === null) return actual === null;
  if (actual === null) return false;
  return Math.abs(actual - expected) <= 1e-9 * (1 + scale);
};

describe('SlidingWindow', () => {
  it('agrees with a naive recomputation after every point, for every function (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 3, max: 300 }),
        fc.array(step, { minLength: 1, maxLength: 400 }),
        (windowMs, maxPoints, steps) => {
          const fast = new SlidingWindow(windowMs, maxPoints);
          const naive = new NaiveWindow(windowMs, maxPoints);
          let ts = 1_700_000_000_000;
          let maxAbsEver = 0;
          for (const s of steps) {
            ts += s.dt;
            maxAbsEver = Math.max(maxAbsEver, Math.abs(s.value));
            fast.push(ts, s.value);
            naive.push(ts, s.value);
            const maxAbs = Math.max(0, ...naive.points.map((p) => Math.abs(p.value)));
            for (const fn of STAT_FUNCTIONS) {
              const a = fast.stat(fn);
              const e = naive.stat(fn);
              // Removing points leaves rounding of the order of the largest value seen (ε·max), and stddev is a
              // square root of that: its error is √ε·max. Flat windows are exact (see stat()).
              const ok =
                fn === 'stddev'
                  ? a !== null && e !== null && Math.abs(a - e) <= 1e-7 * (1 + maxAbsEver)
                  : close(a, e, fn === 'sum' ? maxAbs * naive.points.length : maxAbs);
              if (!ok) throw new Error(`${fn}: ${a} != ${e} after ${naive.points.length} points`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays exact over a long run of evictions (drift is re-anchored)', () => {
    const w = new SlidingWindow(1000);
    const naive = new NaiveWindow(1000, Number.POSITIVE_INFINITY);
    for (let i = 0; i < 50_000; i++) {
      const v = 1e9 + Math.sin(i) * 1e-3;
      w.push(i * 10, v);
      naive.push(i * 10, v);
    }
    expect(w.count).toBe(100);
    expect(w.stat('avg')).toBeCloseTo(naive.stat('avg') as number, 6);
    expect(w.stat('stddev')).toBeCloseTo(naive.stat('stddev') as number, 6);
  });

  it('merges history loaded from storage before the points that arrived live', () => {
    const w = new SlidingWindow(60_000);
    w.push(10_000, 5);
    w.push(11_000, 7);
    w.prependHistory([
      { ts: 1_000, value: 1 },
      { ts: 2_000, value: 3 },
      { ts: 10_000, value: 5 },
    ]);
    expect(w.points().map((p) => p.value)).toEqual([1, 3, 5, 7]);
    expect(w.stat('sum')).toBe(16);
    expect(w.stat('min')).toBe(1);
  });

  it('answers count 0 and no value for the others when empty, and ignores points already outside the window', () => {
    const w = new SlidingWindow(1000);
    expect(w.stat('count')).toBe(0);
    expect(w.stat('avg')).toBeNull();
    w.push(5000, 1);
    w.push(3000, 99);
    expect(w.stat('max')).toBe(1);
    w.push(4500, 3);
    expect(w.points()).toEqual([
      { ts: 5000, value: 1 },
      { ts: 5000, value: 3 },
    ]);
  });
});
