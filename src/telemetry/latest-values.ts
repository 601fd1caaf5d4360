/**
 * SQL shared by every writer of `telemetry_latest`. Plain strings: the SQLite writer thread loads this module,
 * and needs neither Kysely nor pg.
 */

/**
 * The conflict clause of every write to `telemetry_latest`, on both dialects: a point becomes its series'
 * latest value unless the stored one is newer (a late or replayed point never moves it back in time).
 */
export const KEEP_NEWEST_LATEST =
  'on conflict (series_id) do update set ts = excluded.ts, num = excluded.num, str = excluded.str, kind = excluded.kind ' +
  'where excluded.ts >= telemetry_latest.ts';

/**
 * SQLite: the newest inbox row of each series among the rows a condition matches, into `telemetry_latest` —
 * the condition goes between the two parts. SQLite takes the bare columns of a `max()` aggregate from the row
 * that holds the maximum.
 */
export const COPY_NEWEST_INBOX_ROWS = {
  before:
    'insert into telemetry_latest (series_id, ts, num, str, kind) ' +
    'select series_id, max(ts), num, str, kind from telemetry_inbox where ',
  after: ` group by series_id ${KEEP_NEWEST_LATEST}`,
} as const;
