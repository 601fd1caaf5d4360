export interface GroupCommitOptions {
  /** Flush once this much weight (points) is waiting. */
  maxWeight: number;
  /**
   * Flush at the latest this long after the first item of a batch arrived. 0: as soon as the writer is idle,
   * after the I/O already received in this turn of the event loop has joined the batch (setImmediate).
   */
  maxDelayMs: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: callers add items and wait; items are written together in one transaction when enough have
 * gathered or the oldest has waited maxDelayMs. One flush runs at a time, in arrival order; what arrives
 * meanwhile forms the next batch, so batches grow with load and latency stays at one flush plus the delay.
 * When a flush ends, the next batch goes at once if its oldest item already waited maxDelayMs during it — the
 * delay counts from that item's arrival, not from the end of the flush, so a busy writer never idles for it.
 * Each add() resolves only after its batch committed — that is what makes an acknowledgement durable.
 */
export class GroupCommitBatcher<T> {
  private pending: Waiting<T>[] = [];
  private pendingWeight = 0;
  /** Date.now() when the oldest pending item arrived. */
  private oldestAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<void> | void,
    private readonly weigh: (item: T) => number,
    private readonly options: GroupCommitOptions,
  ) {}

  add(item: T): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the telemetry writer is stopped'));
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) this.oldestAt = Date.now();
      this.pending.push({ item, resolve, reject });
      this.pendingWeight += this.weigh(item);
      this.schedule();
    });
  }

  get waiting(): number {
    return this.pendingWeight;
  }

  /** Writes everything waiting and refuses new items. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.flushing) {
      this.schedule();
      await this.flushing;
    }
  }

  /** Flushes now, or sets the timer for when the oldest item will have waited long enough. */
  private schedule(): void {
    // A running flush schedules the next one when it ends.
    if (this.flushing || this.pending.length === 0) return;
    const wait = this.oldestAt + this.options.maxDelayMs - Date.now();
    if (this.pendingWeight >= this.options.maxWeight || this.closed || (wait <= 0 && this.options.maxDelayMs > 0))
      this.kick();
    else if (this.options.maxDelayMs === 0) this.immediate ??= setImmediate(() => this.kick());
    else this.timer ??= setTimeout(() => this.kick(), wait);
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    if (this.flushing || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingWeight = 0;
    this.flushing = this.run(batch).finally(() => {
      this.flushing = null;
      this.schedule();
    });
  }

  private async run(batch: Waiting<T>[]): Promise<void> {
    try {
      await this.flush(batch.map((w) => w.item));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) w.resolve();
  }
}
