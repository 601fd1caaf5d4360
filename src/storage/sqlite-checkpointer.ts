import type { Worker } from 'node:worker_threads';
import type { Logger } from '../kernel/logger.js';
import { startWorkerModule } from '../kernel/worker-module.js';
import type { CheckpointThreadData, FromCheckpointThread } from './sqlite-checkpoint-thread.js';

export interface CheckpointStats {
  /** Checkpoints that had frames to copy. */
  runs: number;
  /** Frames in the WAL at the last one, and how many of them are in the database file. */
  walFrames: number;
  checkpointedFrames: number;
  /** How long the last one took, on the checkpoint thread. */
  lastMs: number;
}

/**
 * Runs SQLite's checkpoints on a thread of their own. With automatic checkpoints only, the connection whose
 * commit crosses the WAL threshold copies every page back and fsyncs the file inside that commit: measured
 * under a steady 1,000 messages/s, a commit of 5 points then took 210–270 ms every few seconds, and every
 * acknowledgement behind it waited (PUBACK and alert p99 near 300 ms). Here a passive checkpoint runs every
 * `intervalMs` beside the writers; the connections keep their automatic checkpoint (wal_autocheckpoint) as the
 * fallback that bounds the WAL — it finds little left to copy — and that also takes over if this thread dies.
 */
export class SqliteCheckpointer {
  readonly stats: CheckpointStats = { runs: 0, walFrames: 0, checkpointedFrames: 0, lastMs: 0 };
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** The error of the current run of failed checkpoints, null while they succeed. */
  private failing: string | null = null;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    const workerData: CheckpointThreadData = { path: this.path, intervalMs: this.intervalMs };
    const worker = startWorkerModule(import.meta.url, './sqlite-checkpoint-thread.js', { workerData });
    this.worker = worker;
    // A background helper: it never keeps the process alive on its own.
    worker.unref();
    worker.on('message', (m: FromCheckpointThread) => {
      if (m.type === 'checkpointed') {
        if (this.failing !== null) this.log.info('SQLite checkpoints work again');
        this.failing = null;
        this.stats.runs++;
        this.stats.walFrames = m.walFrames;
        this.stats.checkpointedFrames = m.checkpointedFrames;
        this.stats.lastMs = m.ms;
      } else if (m.type === 'failed' && m.message !== this.failing) {
        // Once per distinct error: the thread retries every interval, and a lasting fault must not flood the log.
        this.failing = m.message;
        this.log.warn({ error: m.message }, 'SQLite checkpoint failed; will retry');
      }
    });
    worker.on('error', (err) => this.log.warn({ err }, 'the SQLite checkpoint thread failed'));
    this.exited = new Promise<void>((resolve) =>
      worker.on('exit', (code) => {
        if (this.worker === worker && code !== 0)
          this.log.warn({ code }, 'the SQLite checkpoint thread exited; automatic checkpoints take over');
        this.worker = null;
        resolve();
      }),
    );
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    // Held while we wait for it: an unreferenced thread would let the process end before it closed.
    worker.ref();
    worker.postMessage({ type: 'close' });
    await this.exited;
  }
}
