/** A cell to sleep on: Atomics.wait blocks this thread for the timeout, nobody ever wakes it early. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** How long one wait for the write lock lasts before trying again. */
const RETRY_MS = 0.2;

/**
 * Runs a write transaction that begins IMMEDIATE on a connection opened with `busy_timeout = 0`, trying again
 * every 0.2 ms while another connection holds the write lock, for up to `timeoutMs`.
 *
 * Why not SQLite's busy_timeout: its handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries, so a lock held for
 * 2 ms by the main thread (an alert, a presence batch) kept the telemetry writer waiting 8 ms, and under a steady
 * 1,000 messages/s that was the tail of publish → alert latency (commits of 5 points taking 10–18 ms). For the
 * writer thread, which has nothing else to do meanwhile, blocking in short steps is the right wait.
 * SQLITE_BUSY is the only code retried: a BEGIN IMMEDIATE that fails with it has done nothing.
 */
export function withWriteLock<T>(run: () => T, timeoutMs = 5000): T {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return run();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw err;
      Atomics.wait(sleepCell, 0, 0, RETRY_MS);
    }
  }
}
