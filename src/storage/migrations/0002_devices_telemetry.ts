import { type Kysely, sql } from 'kysely';
import { isPostgres } from './dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema of their time
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  const pg = isPostgres(db);

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('location', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('offline'))
    .addColumn('last_seen', 'bigint')
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('inactivity_timeout_s', 'integer')
    .addColumn('protocol', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('devices_org_id').on('devices').columns(['organization_id', 'id']).execute();

  // One row per (device, key): points reference it by a small integer, so the point table's key is two
  // integers instead of two strings — more points per page and cheaper comparisons on every insert.
  if (pg) {
    await sql`create table telemetry_series (
      id bigserial primary key,
      device_id text not null,
      key text not null,
      unique (device_id, key))`.execute(db);
    // Clustered on (series, ts) by the primary key; ingest is append-mostly per series.
    await sql`create table telemetry (
      series_id bigint not null,
      ts bigint not null,
      num double precision,
      str text,
      kind smallint not null,
      primary key (series_id, ts))`.execute(db);
  } else {
    await sql`create table telemetry_series (
      id integer primary key autoincrement,
      device_id text not null,
      key text not null,
      unique (device_id, key))`.execute(db);
    // WITHOUT ROWID stores rows in the primary-key B-tree itself: one B-tree to update per point, not two.
    await sql`create table telemetry (
      series_id integer not null,
      ts integer not null,
      num real,
      str text,
      kind integer not null,
      primary key (series_id, ts)) without rowid`.execute(db);
  }
  await db.schema
    .createTable('telemetry_latest')
    .addColumn('series_id', 'bigint', (c) => c.primaryKey())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('num', pg ? 'double precision' : 'real')
    .addColumn('str', 'text')
    .addColumn('kind', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('device_commands')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('family', 'text')
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('response', 'text')
    .addColumn('error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('device_commands_device')
    .on('device_commands')
    .columns(['device_id', 'status'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const table of ['device_commands', 'telemetry_latest', 'telemetry', 'telemetry_series', 'devices']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
