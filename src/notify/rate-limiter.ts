import type { Clock } from '../kernel/index.js';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (a webhook URL): `perSecond` sends a second on average, bursts up to `burst`.
 * take() answers 0 when the send may go now, or how many ms until it may. 0 per second turns it off.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
    burst?: number,
  ) {
    this.burst = Math.max(1, burst ?? Math.ceil(perSecond));
  }

  take(key: string): number {
    if (this.perSecond <= 0) return 0;
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perSecond) / 1000);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      if (this.buckets.size > 10_000) this.prune(now);
      return 0;
    }
    this.buckets.set(key, b);
    return Math.ceil(((1 - b.tokens) * 1000) / this.perSecond);
  }

  /** Forgets buckets that have refilled: they hold nothing a fresh bucket would not. */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * this.perSecond) / 1000 >= this.burst) this.buckets.delete(key);
    }
  }
}
