import { invalid } from '../kernel/index.js';
import type { Point } from './query.js';

/** What a range or aggregate query answers. */
export interface SeriesAnswer {
  /** Points (or buckets) per key, in key order, each key ascending by ts; keys with nothing in the range are left out. */
  series: Record<string, Point[]>;
  /** Keys that had more than `limit` points (or buckets) in the range, in key order: each answers its newest `limit`. */
  truncated: string[];
}

/** The refusal of an answer that would hold more than `maxTotal` points (or buckets) of all keys together. */
export const answerTooLarge = (maxTotal: number) =>
  invalid(
    'limit',
    `the answer would hold more than ${maxTotal} points in all: ask for fewer keys, a shorter range, a smaller limit or an aggregate`,
  );

/**
 * Gathers a query's answer key by key and applies its limits: at most `limit` points a key — the newest, since
 * "the last N points" is what a limit is asked for — and at most `maxTotal` in all. Each key is read with one row
 * more than it may keep (`take`), so that a cut is known and said, never silent; an answer past `maxTotal` is
 * refused as a whole (a per-key limit times many keys could otherwise answer millions of points).
 */
export class SeriesAnswerBuilder {
  // No prototype: a key named `__proto__` is a key like any other.
  private readonly series: Record<string, Point[]> = Object.create(null);
  private readonly truncated: string[] = [];
  private total = 0;

  constructor(
    private readonly limit: number,
    private readonly maxTotal: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Rows to read for the next key: one more than it may keep, or than the answer has room for. */
  get take(): number {
    return Math.min(this.limit, this.maxTotal - this.total) + 1;
  }

  /** A key's points in ascending order, at most `take` of them (a few more only where `take` could not be used). */
  add(key: string, ascending: Point[]): void {
    if (ascending.length === 0) return;
    if (ascending.length > this.limit) {
      ascending.splice(0, ascending.length - this.limit);
      this.truncated.push(key);
    }
    this.total += ascending.length;
    if (this.total > this.maxTotal) throw answerTooLarge(this.maxTotal);
    this.series[key] = ascending;
  }

  done(): SeriesAnswer {
    return { series: this.series, truncated: this.truncated };
  }
}
