import { type Clock, type Logger, newId } from '../kernel/index.js';
import { retryDelay } from './backoff.js';
import type { OutboxRow, OutboxStore } from './outbox-store.js';
import type { OutboxStatus } from './types.js';

export type DeliveryOutcome =
  | { kind: 'delivered'; detail?: string }
  /** permanent: no attempt can succeed without a change (refused target, invalid content). */
  | { kind: 'failed'; error: string; permanent: boolean; retryAfterMs?: number }
  /** Not attempted (per-URL rate limit): back in the queue until `until`, without using an attempt. */
  | { kind: 'deferred'; until: number };

export interface DeliveryHandler {
  deliver(row: OutboxRow, signal: AbortSignal): Promise<DeliveryOutcome>;
}

export interface OutboxWorkerOptions {
  store: OutboxStore;
  handler: DeliveryHandler;
  clock: Clock;
  log: Logger;
  /** Sends in flight at once on this node. */
  concurrency: number;
  /** How long a claim holds a row; renewed while the send runs, so only a dead node's rows expire. */
  leaseMs: number;
  /** Fallback poll for rows enqueued by other nodes or whose backoff ended (enqueues here wake at once). */
  pollMs: number;
  /** Attempts before a row is dead. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long stop() lets in-flight sends finish before aborting them and releasing their claims. */
  stopGraceMs?: number;
  random?: () => number;
  onSettled?: (row: OutboxRow, status: OutboxStatus, error: string | null) => void;
}

interface InFlight {
  done: Promise<void>;
  abort: AbortController;
}

/**
 * Claims due outbox rows and hands them to the channel senders, at most `concurrency` at a time. Woken at
 * once by enqueue() on this node; polls as a fallback. Failures are retried with exponential backoff and
 * jitter until maxAttempts, then the row is dead (`POST /notifications/{id}/retry` re-queues it).
 */
export class OutboxWorker {
  readonly owner = `node-${newId()}`;
  private readonly inflight = new Map<string, InFlight>();
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private woken = false;
  private wakeSleeper: (() => void) | null = null;
  private waitingForSlot = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private renewTimer: NodeJS.Timeout | null = null;
  private readonly delivered: { row: OutboxRow; resolve: () => void; reject: (err: unknown) => void }[] = [];

  private readonly minBatch: number;

  constructor(private readonly o: OutboxWorkerOptions) {
    this.minBatch = Math.max(1, Math.floor(o.concurrency / 4));
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.renewTimer = setInterval(() => this.renewLeases(), Math.max(250, Math.floor(this.o.leaseMs / 3)));
    this.renewTimer.unref();
    this.loopDone = this.loop();
  }

  /** Something was enqueued or became due: claim now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    const sleeper = this.wakeSleeper;
    this.wakeSleeper = null;
    sleeper?.();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    this.wake();
    await this.loopDone;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    const pending = () => Promise.allSettled([...this.inflight.values()].map((f) => f.done));
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pending(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.o.stopGraceMs ?? 5000);
        }),
      ]);
      clearTimeout(timer);
      // Whatever is still sending is aborted; process() then gives its claim back for the next start.
      for (const f of this.inflight.values()) f.abort.abort(new Error('fieldline is stopping'));
      await pending();
    }
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // Cleared before looking, so a wake that arrives from here on is never lost, and a stale one never
      // turns a saturated loop (no free slot, nothing awaited) into a spin.
      this.woken = false;
      const free = this.o.concurrency - this.inflight.size;
      // Under load, claim in batches (a quarter of the slots) rather than one row per finished send.
      const claimNow = free > 0 && (this.inflight.size === 0 || free >= this.minBatch);
      this.waitingForSlot = !claimNow;
      if (claimNow) {
        let rows: OutboxRow[];
        try {
          rows = await this.o.store.claim(this.owner, free, this.o.clock.now(), this.o.leaseMs);
        } catch (err) {
          if (!this.running) break;
          this.o.log.error({ err }, 'notification outbox claim failed; retrying at the next poll');
          rows = [];
        }
        for (const row of rows) this.launch(row);
        // A full batch means more may be due: claim again straight away.
        if (rows.length === free && rows.length > 0) continue;
      }
      if (!this.running) break;
      if (this.woken) continue;
      await this.sleep(this.o.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleeper = null;
        resolve();
      }, ms);
      this.wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private launch(row: OutboxRow): void {
    const abort = new AbortController();
    const done = this.process(row, abort.signal)
      .catch((err: unknown) => {
        // Only a storage failure lands here; the row stays claimed and is taken again when the lease ends.
        this.o.log.error({ err, notification_id: row.id }, 'could not record a notification attempt');
      })
      .finally(() => {
        this.inflight.delete(row.id);
        if (this.waitingForSlot) this.wake();
      });
    this.inflight.set(row.id, { done, abort });
  }

  private async process(row: OutboxRow, signal: AbortSignal): Promise<void> {
    const { store, clock, log } = this.o;
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.o.handler.deliver(row, signal);
    } catch (err) {
      outcome = { kind: 'failed', error: err instanceof Error ? err.message : String(err), permanent: false };
    }
    const now = clock.now();
    if (signal.aborted && this.stopping && outcome.kind !== 'delivered') {
      await store.release(row.id, this.owner, now, now);
      return;
    }
    switch (outcome.kind) {
      case 'delivered':
        return this.markDelivered(row);
      case 'deferred': {
        await store.release(row.id, this.owner, now, outcome.until);
        this.scheduleWake(outcome.until);
        return;
      }
      case 'failed': {
        const dead = outcome.permanent || row.attempts >= this.o.maxAttempts;
        const delay = retryDelay(row.attempts, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random);
        const retryAt = dead ? null : now + Math.max(delay, outcome.retryAfterMs ?? 0);
        if (!(await store.markFailed(row.id, this.owner, now, outcome.error, retryAt))) return;
        const fields = {
          notification_id: row.id,
          organization_id: row.organization_id,
          channel: row.channel,
          event: row.event,
          attempt: row.attempts,
          error: outcome.error,
        };
        if (retryAt === null) {
          log.warn(
            { ...fields, permanent: outcome.permanent },
            outcome.permanent ? 'notification refused; not retried' : 'notification dead after the last attempt',
          );
          this.o.onSettled?.(row, 'dead', outcome.error);
        } else {
          log.info({ ...fields, retry_at: new Date(retryAt).toISOString() }, 'notification attempt failed; will retry');
          this.o.onSettled?.(row, 'failed', outcome.error);
          this.scheduleWake(retryAt);
        }
        return;
      }
    }
  }

  /**
   * Deliveries finished in the same event-loop turn are recorded in one UPDATE: under load this halves the
   * writes per notification. The send's slot is freed once its row is recorded.
   */
  private markDelivered(row: OutboxRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.delivered.push({ row, resolve, reject });
      if (this.delivered.length === 1) setImmediate(() => void this.flushDelivered());
    });
  }

  private async flushDelivered(): Promise<void> {
    const batch = this.delivered.splice(0);
    try {
      const done = new Set(
        await this.o.store.markDeliveredMany(
          batch.map((b) => b.row.id),
          this.owner,
          this.o.clock.now(),
        ),
      );
      for (const { row, resolve } of batch) {
        if (done.has(row.id)) {
          this.o.log.debug(
            { notification_id: row.id, channel: row.channel, attempt: row.attempts },
            'notification delivered',
          );
          this.o.onSettled?.(row, 'delivered', null);
        }
        resolve();
      }
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
  }

  /** One timer for the earliest retry this node scheduled; polling covers everyone else's. */
  private scheduleWake(at: number): void {
    if (!this.running || at >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.wake();
      },
      Math.max(0, at - this.o.clock.now()),
    );
    this.wakeTimer.unref();
  }

  private renewLeases(): void {
    if (this.inflight.size === 0) return;
    const ids = [...this.inflight.keys()];
    this.o.store.renew(this.owner, ids, this.o.clock.now() + this.o.leaseMs).catch((err: unknown) => {
      this.o.log.warn({ err }, 'could not renew notification leases');
    });
  }
}
