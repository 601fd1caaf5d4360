/**
 * The SQLite checkpoint thread: copies committed pages from the WAL back into the database file, and fsyncs
 * both, on a connection of its own, so that neither the telemetry writer nor the main thread pays for it.
 * See sqlite-checkpointer.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
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

const port = parentPort;
if (!port) throw new Error('sqlite-checkpoint-thread runs as a worker thread');
const { path, intervalMs } = workerData as CheckpointThreadData;
const db = openSqliteConnection(path);
let lastFrames = -1;

const timer = setInterval(() => {
  const started = performance.now();
  try {
    // PASSIVE: copies what no reader still needs and never waits for the writers, which go on appending.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (r && (r.log !== lastFrames || r.checkpointed !== r.log)) {
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
}, intervalMs);

port.on('message', (message: { type: 'close' }) => {
  if (message.type !== 'close') return;
  clearInterval(timer);
  db.close();
  port.postMessage({ type: 'closed' } satisfies FromCheckpointThread);
  port.close();
});
