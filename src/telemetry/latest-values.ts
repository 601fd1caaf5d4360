import { type RawBuilder, sql } from 'kysely';

/**
 * The conflict clause of every write to `telemetry_latest`, on both dialects: a point becomes its series'
 * latest value unless the stored one is newer (a late or replayed point never moves it back in time).
 */
export const KEEP_NEWEST_LATEST =
  'on conflict (series_id) do update set ts = excluded.ts, num = excluded.num, str = excluded.str, kind = excluded.kind ' +
  'where excluded.ts >= telemetry_latest.ts';

// SQLite takes the bare columns of a `max()` aggregate from the row that holds the maximum.
const COPY_HEAD =
  'insert into telemetry_latest (series_id, ts, num, str, kind) ' +
  'select series_id, max(ts), num, str, kind from telemetry_inbox where ';
const COPY_TAIL = ` group by series_id ${KEEP_NEWEST_LATEST}`;

/** SQLite: the newest inbox row of each series among the rows `where` matches, into `telemetry_latest`. */
export const copyNewestInboxRows = (where: string): string => COPY_HEAD + where + COPY_TAIL;

/** The same as a Kysely query, for a condition built with `sql`. */
export const copyNewestInboxRowsQuery = (where: RawBuilder<boolean>): RawBuilder<unknown> =>
  sql`${sql.raw(COPY_HEAD)}${where}${sql.raw(COPY_TAIL)}`;
