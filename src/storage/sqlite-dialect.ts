import { CompiledQuery, type DatabaseConnection, SqliteDialect, type SqliteDialectConfig, SqliteDriver } from 'kysely';

/**
 * Kysely on SQLite, with every transaction opened as BEGIN IMMEDIATE. A deferred BEGIN takes the write lock
 * only at its first write; when the telemetry writer thread committed after the transaction's first read, that
 * upgrade fails at once with SQLITE_BUSY_SNAPSHOT (busy_timeout cannot help: the snapshot is stale). IMMEDIATE
 * takes the lock up front, waiting (busy_timeout) for the other connection's commit instead.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  private readonly driverConfig: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.driverConfig = config;
  }

  override createDriver(): SqliteDriver {
    return new ImmediateTransactionDriver(this.driverConfig);
  }
}

class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
