import type { Clock } from '../kernel/index.js';

/**
 * A value computed at most once per `ttlMs` (a database figure for /metrics): concurrent scrapes share one
 * query, and a failed query is not remembered.
 */
export class ScrapeMemo<T> {
  private value: { at: number; promise: Promise<T> } | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly compute: () => Promise<T>,
  ) {}

  get(): Promise<T> {
    const now = this.clock.now();
    if (this.value && now - this.value.at < this.ttlMs) return this.value.promise;
    const promise = this.compute();
    const entry = { at: now, promise };
    this.value = entry;
    promise.catch(() => {
      if (this.value === entry) this.value = null;
    });
    return promise;
  }

  /** Like get(), but a failure (database down) gives the fallback: the rest of /metrics is still served. */
  async getOr<F>(fallback: F): Promise<T | F> {
    try {
      return await this.get();
    } catch {
      return fallback;
    }
  }

  /** The next get() computes afresh (an alert was raised: the open count changed). */
  forget(): void {
    this.value = null;
  }
}
