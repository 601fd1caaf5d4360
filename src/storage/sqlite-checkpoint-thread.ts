/**
 * The SQLite checkpoint thread: copies committed pages from the WAL back into the database file, and fsyncs
 * both, on a connection of its own, so that neither the telemetry writer nor the main thread pays for it.
 * See sqlite-checkpointer.ts.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { openSqliteConnection } from './sqlite-connection.js';

export interface CheckpointThreadData {
  path: string;
  intervalMs: number;
}

/** What the thread reports after each checkpoint that had work to do, and on close. */
export type FromCheckpointThread =
  | { type: 'checkpointed'; walFrames: number; checkpointedFrames: number; ms: number }
  | { type: 'failed'; message: string }
  | { type: 'closed' };

if (!parentPort) throw new Error('sqlite-checkpoint-thread runs as a worker thread');
const port: MessagePort = parentPort;
const { path, intervalMs } = workerData as CheckpointThreadData;
const db = openSqliteConnection(path);
let lastFrames = -1;

/** The next pass. */
let timer: NodeJS.Timeout | null = null;

/**
 * One passive checkpoint, then the next: soon (CATCH_UP_MS) while there was work, at `intervalMs` when idle.
 * Why soon: SQLite rewinds the WAL only when a write begins with every frame copied back. Passes every 250 ms
 * copied a quarter second of commits each and never caught up while writes went on, so the WAL grew to the
 * writers' automatic checkpoint (20,000 frames), which then copied the rest and fsynced inside a commit: under a
 * steady 1,000 messages/s, a commit of 10 points took 7–14 ms every few seconds, the tail of publish → alert
 * latency. Small passes close behind the writers catch up between two commits, the WAL rewinds at a few hundred
 * frames, and the automatic checkpoint finds nothing left.
 */
function pass(): void {
  const started = performance.now();
  let busy = false;
  try {
    // PASSIVE: copies what no reader still needs and never waits for the writers, which go on appending.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (r && (r.log !== lastFrames || r.checkpointed !== r.log)) {
      busy = r.log !== lastFrames || r.checkpointed < r.log;
      lastFrames = r.log;
      port.postMessage({
        type: 'checkpointed',
        walFrames: r.log,
        checkpointedFrames: r.checkpointed,
        ms: performance.now() - started,
      } satisfies FromCheckpointThread);
    }
  } catch (err) {
    port.postMessage({ type: 'failed', message: (err as Error).message } satisfies FromCheckpointThread);
  }
  timer = setTimeout(pass, busy ? CATCH_UP_MS : intervalMs);
}
const CATCH_UP_MS = 5;
timer = setTimeout(pass, intervalMs);

port.on('message', (message: { type: 'close' }) => {
  if (message.type !== 'close') return;
  if (timer) clearTimeout(timer);
  db.close();
  port.postMessage({ type: 'closed' } satisfies FromCheckpointThread);
  port.close();
});
