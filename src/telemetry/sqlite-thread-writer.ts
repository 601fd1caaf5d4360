import type { Worker } from 'node:worker_threads';
import { startWorkerModule } from '../kernel/index.js';
import { SeriesSlots, toColumns, transferList } from './point-columns.js';
import type { PointBatchItem, PointWriter } from './point-store.js';
import type { FromWriterThread, ToWriterThread, WriterThreadData } from './sqlite-writer-thread.js';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A write the thread refused: the transaction was rolled back, nothing of the batch is stored. */
export class TelemetryWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'TelemetryWriteError';
  }
}

/**
 * The embedded default's writer, on the main thread's side: batches go as columns to the writer thread
 * (sqlite-writer-thread.ts), which owns a second connection to the database file, and write() resolves when
 * the thread answers that the batch's transaction committed — so an acknowledgement still means stored.
 * Batches are answered in the order they were sent. If the thread dies, what it owed is rejected (never
 * acknowledged) and the next batch starts a new thread.
 */
export class SqliteThreadWriter implements PointWriter {
  private thread: WriterThread | null = null;
  private closed = false;

  /** `onMergeFailure` hears a failure of the thread's inbox merges (retried) once, and again each minute it lasts. */
  constructor(
    private readonly path: string,
    private readonly onMergeFailure: (message: string) => void = () => {},
  ) {}

  /** Starts the thread; resolves once its connection is open and its statements are prepared. */
  start(): Promise<void> {
    return this.current().ready;
  }

  /**
   * Sent at once, even to a thread still starting (its port queues messages until it listens): waiting for
   * `ready` here would let a close() called meanwhile overtake the batch.
   */
  write(items: PointBatchItem[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the telemetry writer is closed'));
    return this.current().write(items);
  }

  forgetDevice(deviceId: string): void {
    this.thread?.forget(deviceId);
  }

  /** Ends the thread after the batches already sent; they are answered first. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = null;
    await thread?.close();
  }

  private current(): WriterThread {
    if (this.thread === null || this.thread.exited) this.thread = new WriterThread(this.path, this.onMergeFailure);
    return this.thread;
  }
}

/** One running thread, with what only it knows: the series slots it was told about and the writes it owes. */
class WriterThread {
  readonly ready: Promise<void>;
  exited = false;
  private readonly worker: Worker;
  private readonly slots = new SeriesSlots();
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;
  private starting: Waiter | null = null;
  private exitedAs: Error | null = null;
  private readonly exit: Promise<void>;
  private lastMergeFailure: { message: string; at: number } | null = null;

  constructor(
    path: string,
    private readonly onMergeFailure: (message: string) => void,
  ) {
    const workerData: WriterThreadData = { path };
    this.worker = startWorkerModule(import.meta.url, './sqlite-writer-thread.js', { workerData });
    this.ready = new Promise<void>((resolve, reject) => {
      this.starting = { resolve, reject };
    });
    // A start that fails is reported by whoever awaits `ready`; this keeps it from being unhandled meanwhile.
    this.ready.catch(() => {});
    this.worker.on('message', (message: FromWriterThread) => this.receive(message));
    let failure: Error | null = null;
    this.worker.on('error', (err) => {
      failure = err;
    });
    this.exit = new Promise<void>((resolve) =>
      this.worker.on('exit', (code) => {
        this.exited = true;
        this.exitedAs = failure ?? new Error(`the telemetry writer thread exited (code ${code})`);
        this.starting?.reject(this.exitedAs);
        this.starting = null;
        for (const w of this.waiting.values()) w.reject(this.exitedAs);
        this.waiting.clear();
        resolve();
      }),
    );
  }

  write(items: PointBatchItem[]): Promise<void> {
    if (this.exitedAs) return Promise.reject(this.exitedAs);
    const columns = toColumns(items, this.slots);
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Held only while an answer is owed: an idle writer does not keep the process alive on its own.
    if (this.waiting.size === 1) this.worker.ref();
    this.post({ type: 'write', id, columns }, transferList(columns));
    return done;
  }

  forget(deviceId: string): void {
    const slots = this.slots.forgetDevice(deviceId);
    if (slots.length > 0 && !this.exited) this.post({ type: 'forget', slots });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    this.worker.ref();
    this.post({ type: 'close' });
    await this.exit;
  }

  private post(message: ToWriterThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(message: FromWriterThread): void {
    switch (message.type) {
      case 'ready':
        this.starting?.resolve();
        this.starting = null;
        if (this.waiting.size === 0) this.worker.unref();
        return;
      case 'written':
        this.settle(message.id)?.resolve();
        return;
      case 'merge-failed': {
        // Each distinct failure once, and a lasting one again every minute: merges are retried after every batch.
        const last = this.lastMergeFailure;
        const now = Date.now();
        if (last === null || last.message !== message.message || now - last.at >= 60_000) {
          this.onMergeFailure(message.message);
          this.lastMergeFailure = { message: message.message, at: now };
        }
        return;
      }
      case 'failed':
        this.settle(message.id)?.reject(new TelemetryWriteError(message.message, message.code));
        return;
      case 'closed':
        return;
    }
  }

  private settle(id: number): Waiter | undefined {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
    return waiter;
  }
}
