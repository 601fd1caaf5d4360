import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema of their time
type Db = Kysely<any>;

/**
 * One row: the inbox seq up to which the SQLite writer has copied the newest points into `telemetry_latest`
 * (src/telemetry/telemetry-inbox.ts). A reader of the latest values then looks in the inbox only above it, a
 * second of points at most, instead of every row of the series' group. Unused on PostgreSQL, like the inbox.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('telemetry_inbox_copied')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('latest_seq', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('telemetry_inbox_copied').values({ id: 1, latest_seq: 0 }).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('telemetry_inbox_copied').ifExists().execute();
}
