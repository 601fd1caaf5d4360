/**
 * The SQLite telemetry writer thread: its own connection to the database file, one transaction per batch,
 * answers in the order batches came. better-sqlite3 is synchronous, so on the main thread every commit
 * stopped MQTT parsing for its duration; here it runs on another core while the main thread gathers the next
 * batch. See sqlite-thread-writer.ts for the main thread's side.
 */
import { parentPort, workerData } from 'node:worker_threads';
// The connection module alone: the thread needs neither Kysely nor pg.
import { openSqliteConnection } from '../storage/sqlite-connection.js';
import type { PointColumns } from './point-columns.js';
import { SqliteColumnWriter } from './sqlite-column-writer.js';

/** What the main thread sends, in order. */
export type ToWriterThread =
  | { type: 'write'; id: number; columns: PointColumns }
  | { type: 'forget'; slots: number[] }
  | { type: 'close' };

/** What the thread answers. `written` only after the commit returned. */
export type FromWriterThread =
  | { type: 'ready' }
  | { type: 'written'; id: number }
  | { type: 'failed'; id: number; message: string; code: string | undefined }
  /** A merge of the inbox into `telemetry` failed; nothing is lost (the rows stay in the inbox) and it is retried. */
  | { type: 'merge-failed'; message: string }
  | { type: 'closed' };

export interface WriterThreadData {
  path: string;
}

const port = parentPort;
if (!port) throw new Error('sqlite-writer-thread runs as a worker thread');
const send = (message: FromWriterThread) => port.postMessage(message);

const db = openSqliteConnection((workerData as WriterThreadData).path);
// The thread waits for the write lock in short steps of its own (withWriteLock), not in SQLite's, which sleep
// 1, 2, 5, 10… ms between tries.
db.pragma('busy_timeout = 0');
const writer = new SqliteColumnWriter(db);

/**
 * Without a batch for this long, the thread brings telemetry_latest up to date and merges the inbox a group at a
 * time (see telemetry-inbox.ts); it looks this often.
 */
const IDLE_MS = 1000;
let lastWriteAt = 0;

/** Merges run after a batch was answered, so its acknowledgement never waits for one; a failure is retried. */
function merge(step: () => unknown): void {
  try {
    step();
  } catch (err) {
    send({ type: 'merge-failed', message: (err as Error).message ?? String(err) });
  }
}
const idleMerges = setInterval(() => {
  const now = performance.now();
  if (now - lastWriteAt < IDLE_MS) return;
  // telemetry_latest catches up with the last batches' points, then one group moves into `telemetry`.
  merge(() => writer.inbox.refreshLatest(now));
  if (writer.inbox.size > 0) merge(() => writer.inbox.mergeOne());
}, IDLE_MS);

port.on('message', (message: ToWriterThread) => {
  switch (message.type) {
    case 'write':
      try {
        writer.define(message.columns.defined);
        writer.write(message.columns);
        send({ type: 'written', id: message.id });
      } catch (err) {
        const e = err as Error & { code?: string };
        send({ type: 'failed', id: message.id, message: e.message ?? String(err), code: e.code });
      }
      lastWriteAt = performance.now();
      merge(() => writer.inbox.mergeDue());
      return;
    case 'forget':
      writer.forget(message.slots);
      return;
    case 'close':
      clearInterval(idleMerges);
      // A clean stop leaves every point in `telemetry` (a killed process leaves them in the inbox, merged at start).
      merge(() => writer.inbox.mergeAll());
      db.close();
      send({ type: 'closed' });
      port.close();
      return;
  }
});
send({ type: 'ready' });
