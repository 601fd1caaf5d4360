import type SQLite from 'better-sqlite3';

/** A cell to sleep on: Atomics.wait blocks this thread for the timeout, nobody ever wakes it early. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** How long one wait for the write lock lasts before trying again. */
const RETRY_MS = 0.2;

interface TransactionStatements {
  begin: SQLite.Statement;
  commit: SQLite.Statement;
  rollback: SQLite.Statement;
}
const statements = new WeakMap<SQLite.Database, TransactionStatements>();

function statementsOf(db: SQLite.Database): TransactionStatements {
  let s = statements.get(db);
  if (!s) {
    s = { begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK') };
    statements.set(db, s);
  }
  return s;
}

/**
 * Runs `run` in a write transaction that begins IMMEDIATE on a connection opened with `busy_timeout = 0`, trying
 * the BEGIN again every 0.2 ms while another connection holds the write lock, for up to `timeoutMs`; then runs
 * `run` once and commits, or rolls back and throws.
 *
 * Why not SQLite's busy_timeout: its handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries, so a lock held for
 * 2 ms by the main thread (an alert, a presence batch) kept the telemetry writer waiting 8 ms, and under a steady
 * 1,000 messages/s that was the tail of publish → alert latency (commits of 5 points taking 10–18 ms). For the
 * writer thread, which has nothing else to do meanwhile, blocking in short steps is the right wait.
 *
 * Only the BEGIN is tried again: a BEGIN IMMEDIATE that fails has done nothing, whereas a body that failed has
 * changed what its caller knows (series ids, held rows, the copied mark), which only the caller can undo.
 */
export function withWriteLock<T>(db: SQLite.Database, run: () => T, timeoutMs = 5000): T {
  const { begin, commit, rollback } = statementsOf(db);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      begin.run();
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw err;
      Atomics.wait(sleepCell, 0, 0, RETRY_MS);
    }
  }
  try {
    const result = run();
    commit.run();
    return result;
  } catch (err) {
    // A COMMIT refused (a deferred constraint) leaves the transaction open; a failed statement may have ended it.
    if (db.inTransaction) rollback.run();
    throw err;
  }
}
