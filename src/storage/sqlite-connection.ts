import SQLite from 'better-sqlite3';

/**
 * Opens a connection to the embedded database with the settings every Fieldline connection needs. There are
 * two: the main thread's (Kysely, prepared statements of the domains) and the telemetry writer thread's, which
 * imports this file alone to stay light.
 * `synchronous`, `busy_timeout`, the cache and the checkpoint settings belong to a connection, not to the file,
 * so both set them.
 */
/** The SQL function (SQLite) that lower-cases all of Unicode, as PostgreSQL's lower() does. */
export const UNICODE_LOWER = 'unicode_lower';

export function openSqliteConnection(path: string): SQLite.Database {
  const handle = new SQLite(path);
  // WAL lets readers run beside the one writer; NORMAL sync is durable across process crashes (the WAL is
  // fsynced at checkpoints, and a killed process loses nothing that was committed — only a power loss can).
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  // The two connections take turns at the write lock: a writer waits for the other's commit, never fails.
  handle.pragma('busy_timeout = 5000');
  handle.pragma('foreign_keys = ON');
  // 64 MiB of page cache keeps the hot leaf pages of every active series in memory during ingest.
  handle.pragma('cache_size = -65536');
  // Telemetry batches touch a page per series; with the default checkpoint every 1,000 WAL pages SQLite
  // checkpoints (and fsyncs) after nearly every batch. Every 20,000 pages (~80 MB) halves the cost of a
  // commit (measured: 38k vs 18k rows/s at 1,000 rows per batch); the WAL is truncated back to 64 MB after.
  handle.pragma('wal_autocheckpoint = 20000');
  handle.pragma('journal_size_limit = 67108864');
  // SQLite's lower() folds ASCII only, so a search for "Ölpumpe" would miss "ölpumpe" (PostgreSQL's lower()
  // folds all of Unicode). Searches use this instead; indexes never do, so another connection without it
  // (the sqlite3 shell) reads the same file safely.
  handle.function(UNICODE_LOWER, { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? text.toLowerCase() : text,
  );
  return handle;
}
