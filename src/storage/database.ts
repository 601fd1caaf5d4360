import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely, type MigrationResult, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';
import { openSqliteConnection } from './sqlite-connection.js';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, for logs and /health; never includes a password. */
  readonly location: string;
  /** The raw SQLite handle on the embedded default (the telemetry writer uses prepared statements on it). */
  readonly sqlite: SQLite.Database | null;
  readonly pool: pg.Pool | null;
  migrate(): Promise<MigrationResult[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** `postgres://…` for PostgreSQL; null for SQLite under dataDir. */
  databaseUrl: string | null;
  dataDir: string;
  /** SQLite file name inside dataDir, or ':memory:'. */
  sqliteFile?: string;
  poolSize?: number;
}

// PostgreSQL returns int8 (bigint) and numeric as strings; our bigints are epoch milliseconds and counters,
// all far below 2^53, so they are parsed as JavaScript numbers. Set per pool, not globally on pg.types.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

export function openStorage(options: StorageOptions): Storage {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openSqlite(options.dataDir, options.sqliteFile ?? 'fieldline.db');
}

function openSqlite(dataDir: string, file: string): Storage {
  let path = file;
  if (file !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, file);
  }
  const handle = openSqliteConnection(path);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: handle }) });
  return build(db, 'sqlite', path, handle, null);
}

function openPostgres(url: string, max: number): Storage {
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that is an
  // uncaught exception. The next query reconnects, and /health reports the outage meanwhile.
  pool.on('error', () => {});
  // A client checked out of the pool has no 'error' listener (pg-pool removes its idle one), so a connection
  // cut during a query would also be emitted as an uncaught exception and end the process. The query itself
  // still rejects with the error; this listener only keeps the process alive through a database outage.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return build(db, 'postgres', redactUrl(url), null, pool);
}

function build(
  db: Kysely<Database>,
  dialect: Dialect,
  location: string,
  sqlite: SQLite.Database | null,
  pool: pg.Pool | null,
): Storage {
  let closed = false;
  return {
    db,
    dialect,
    location,
    sqlite,
    pool,
    async migrate() {
      // Kysely looks for its migration tables in every schema it can see; pinned to the connection's own
      // schema, a fresh schema beside an already-migrated one is not mistaken for migrated.
      const migrationTableSchema =
        dialect === 'postgres'
          ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
          : undefined;
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => MIGRATIONS },
        ...(migrationTableSchema ? { migrationTableSchema } : {}),
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(String(error));
      return results ?? [];
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
