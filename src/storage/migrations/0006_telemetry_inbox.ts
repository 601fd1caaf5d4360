import { type Kysely, sql } from 'kysely';
import { isPostgres } from './dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema of their time
type Db = Kysely<any>;

/**
 * The telemetry inbox: where the SQLite writer commits new points, appended in arrival order, before it merges
 * them into `telemetry` a group of series at a time (src/telemetry/telemetry-inbox.ts says why). Rows are keyed
 * by (grp, seq) — grp is series_id mod 16 — so a commit appends to 16 places instead of one B-tree leaf per
 * series. PostgreSQL writes straight into `telemetry`; the table exists there too, always empty, so that every
 * query and delete is the same SQL on both dialects.
 */
export async function up(db: Db): Promise<void> {
  if (isPostgres(db)) {
    await sql`create table telemetry_inbox (
      grp smallint not null,
      seq bigint not null,
      series_id bigint not null,
      ts bigint not null,
      num double precision,
      str text,
      kind smallint not null,
      primary key (grp, seq))`.execute(db);
  } else {
    await sql`create table telemetry_inbox (
      grp integer not null,
      seq integer not null,
      series_id integer not null,
      ts integer not null,
      num real,
      str text,
      kind integer not null,
      primary key (grp, seq)) without rowid`.execute(db);
  }
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('telemetry_inbox').ifExists().execute();
}
