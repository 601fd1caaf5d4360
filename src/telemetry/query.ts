import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Cache } from '../cache/index.js';
import type { Database } from '../storage/index.js';
import type { TelemetryValue } from './codecs/types.js';
import { INBOX_GROUPS, inboxGroupOf } from './inbox-groups.js';
import { decodeValue } from './values.js';

export type Aggregate = 'avg' | 'min' | 'max' | 'sum' | 'count';

export interface RangeQuery {
  deviceId: string;
  keys: string[] | null;
  start: number;
  end: number;
  limit: number;
}

export interface Point {
  ts: number;
  value: TelemetryValue;
}

/**
 * Reads telemetry back: raw points, aggregates bucketed in SQL, latest values. On SQLite points are read from
 * `telemetry` and the inbox together, a statement per series; on PostgreSQL, whose inbox stays empty, from
 * `telemetry` in one statement.
 */
export class TelemetryQuery {
  /**
   * `latestCache` keeps every latest value of a device (dropped on each commit for it, see the cache wiring);
   * without one, every call reads the database.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly latestCache: Cache<Record<string, Point>> | null,
    /**
     * Whether points may wait in the inbox: true on SQLite (its writer's), false on PostgreSQL, whose inbox stays
     * empty — there one statement for all series saves a round trip per key, and the inbox's reads use SQLite's
     * bare columns beside max(), which PostgreSQL refuses.
     */
    private readonly inbox: boolean,
  ) {}

  async range(q: RangeQuery): Promise<Record<string, Point[]>> {
    if (!this.inbox) return this.rangeOfTelemetry(q);
    const result: Record<string, Point[]> = {};
    let left = q.limit;
    for (const { id, key } of await this.seriesOf(q.deviceId, q.keys)) {
      if (left <= 0) break;
      // One statement per series, so both tables are read in one snapshot: a merge between them cannot show a
      // point twice or hide it.
      const rows = await this.stored(id, q)
        .select(['ts', 'num', 'str', 'kind'])
        .unionAll(this.unmerged(id, q).select(['ts', 'num', 'str', 'kind']))
        .orderBy('ts')
        .limit(left)
        .execute();
      if (rows.length === 0) continue;
      left -= rows.length;
      result[key] = rows.map((r) => ({ ts: Number(r.ts), value: decodeValue(r.num, r.str, r.kind) }));
    }
    return result;
  }

  /** One value per key and bucket of intervalMs, aligned to the epoch; numbers and booleans (as 0/1) only. */
  async aggregate(q: RangeQuery, agg: Aggregate, intervalMs: number): Promise<Record<string, Point[]>> {
    // A literal, not a parameter: SQLite binds JS numbers as REAL, which would make the division fractional.
    // intervalMs is a validated positive integer, so inlining it is safe.
    const width = sql.lit(Math.trunc(intervalMs));
    const bucket = sql<number>`(p.ts / ${width}) * ${width}`;
    const value = {
      avg: sql<number>`avg(p.num)`,
      min: sql<number>`min(p.num)`,
      max: sql<number>`max(p.num)`,
      sum: sql<number>`sum(p.num)`,
      count: sql<number>`count(p.num)`,
    }[agg];
    if (!this.inbox) return this.aggregateOfTelemetry(q, bucket, value);
    const result: Record<string, Point[]> = {};
    let left = q.limit;
    for (const { id, key } of await this.seriesOf(q.deviceId, q.keys)) {
      if (left <= 0) break;
      const points = this.stored(id, q)
        .select(['ts', 'num'])
        .where('num', 'is not', null)
        .unionAll(this.unmerged(id, q).select(['ts', 'num']).where('num', 'is not', null));
      const rows = await this.db
        .selectFrom(points.as('p'))
        .select([bucket.as('bucket'), value.as('value')])
        .groupBy(bucket)
        .orderBy('bucket')
        .limit(left)
        .execute();
      if (rows.length === 0) continue;
      left -= rows.length;
      result[key] = rows.map((r) => ({ ts: Number(r.bucket), value: Number(r.value) }));
    }
    return result;
  }

  /** `range` where every point is in `telemetry`: one statement, in key order. */
  private async rangeOfTelemetry(q: RangeQuery): Promise<Record<string, Point[]>> {
    if (q.keys?.length === 0) return {};
    const rows = await this.deviceTelemetry(q)
      .select(['s.key', 'p.ts', 'p.num', 'p.str', 'p.kind'])
      .orderBy('s.key')
      .orderBy('p.ts')
      .limit(q.limit)
      .execute();
    return byKey(rows, (r) => ({ ts: Number(r.ts), value: decodeValue(r.num, r.str, r.kind) }));
  }

  /** `aggregate` where every point is in `telemetry`: one statement, in key order. */
  private async aggregateOfTelemetry(
    q: RangeQuery,
    bucket: RawBuilder<number>,
    value: RawBuilder<number>,
  ): Promise<Record<string, Point[]>> {
    if (q.keys?.length === 0) return {};
    const rows = await this.deviceTelemetry(q)
      .select(['s.key', bucket.as('bucket'), value.as('value')])
      .where('p.num', 'is not', null)
      .groupBy(['s.key', bucket])
      .orderBy('s.key')
      .orderBy('bucket')
      .limit(q.limit)
      .execute();
    return byKey(rows, (r) => ({ ts: Number(r.bucket), value: Number(r.value) }));
  }

  /** The device's points in the range in `telemetry` (as p), with their series (as s), of `keys` if given. */
  private deviceTelemetry(q: RangeQuery) {
    const query = this.db
      .selectFrom('telemetry as p')
      .innerJoin('telemetry_series as s', 's.id', 'p.series_id')
      .where('s.device_id', '=', q.deviceId)
      .where('p.ts', '>=', q.start)
      .where('p.ts', '<', q.end);
    return q.keys ? query.where('s.key', 'in', q.keys) : query;
  }

  /** The device's series (all, or those of `keys`), in key order. */
  private async seriesOf(deviceId: string, keys: string[] | null): Promise<{ id: number; key: string }[]> {
    if (keys?.length === 0) return [];
    let query = this.db.selectFrom('telemetry_series').select(['id', 'key']).where('device_id', '=', deviceId);
    if (keys) query = query.where('key', 'in', keys);
    const rows = await query.orderBy('key').execute();
    // PostgreSQL answers bigint ids as strings.
    return rows.map((r) => ({ id: Number(r.id), key: r.key }));
  }

  /** A series' merged points in the range. */
  private stored(seriesId: number, q: RangeQuery) {
    return this.db
      .selectFrom('telemetry')
      .where('series_id', '=', seriesId)
      .where('ts', '>=', q.start)
      .where('ts', '<', q.end);
  }

  /** A series' points still in the inbox (see telemetry-inbox.ts): its group's rows, a few thousand at most. */
  private unmerged(seriesId: number, q: RangeQuery) {
    return this.db
      .selectFrom('telemetry_inbox')
      .where('grp', '=', inboxGroupOf(seriesId))
      .where('series_id', '=', seriesId)
      .where('ts', '>=', q.start)
      .where('ts', '<', q.end);
  }

  async latest(deviceId: string, keys: string[] | null): Promise<Record<string, Point>> {
    if (!this.latestCache) return this.latestFromDb(deviceId, keys);
    const all = await this.latestCache.get(deviceId, () => this.latestFromDb(deviceId, null));
    if (!keys) return all;
    const wanted = new Set(keys);
    return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k)));
  }

  private async latestFromDb(deviceId: string, keys: string[] | null): Promise<Record<string, Point>> {
    let stored = this.db
      .selectFrom('telemetry_latest as l')
      .innerJoin('telemetry_series as s', 's.id', 'l.series_id')
      .select(['s.key', 'l.ts', 'l.num', 'l.str', 'l.kind', sql<number>`0`.as('from_inbox')])
      .where('s.device_id', '=', deviceId);
    if (keys) stored = stored.where('s.key', 'in', keys);
    const rows = this.inbox
      ? await stored.unionAll(this.newestUnmerged(deviceId, keys)).execute()
      : await stored.execute();
    // At most a row per key from each table: the newer wins, and on a tie (the same point, copied) the inbox's.
    const newest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      const known = newest.get(r.key);
      const ts = Number(r.ts);
      if (known === undefined || ts > Number(known.ts) || (ts === Number(known.ts) && Number(r.from_inbox) === 1))
        newest.set(r.key, r);
    }
    return Object.fromEntries(
      [...newest.keys()]
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((key) => {
          const r = newest.get(key) as (typeof rows)[number];
          return [key, { ts: Number(r.ts), value: decodeValue(r.num, r.str, r.kind) }];
        }),
    );
  }

  /**
   * The newest inbox row of each of the device's series above the copied mark: the writer copies them to
   * telemetry_latest once a second (telemetry-inbox.ts), and in between they are newer than it. In one statement
   * with the telemetry_latest part, so a merge or copy between them cannot hide a value. SQLite takes the bare
   * columns from the max(ts) row.
   */
  private newestUnmerged(deviceId: string, keys: string[] | null) {
    let query = this.db
      .selectFrom('telemetry_series as s')
      .innerJoin('telemetry_inbox as i', (join) =>
        join.on('i.grp', '=', sql<number>`s.id % ${sql.lit(INBOX_GROUPS)}`).onRef('i.series_id', '=', 's.id'),
      )
      .select(['s.key', sql<number>`max(i.ts)`.as('ts'), 'i.num', 'i.str', 'i.kind', sql<number>`1`.as('from_inbox')])
      .where('s.device_id', '=', deviceId)
      // Rows at or below the mark are in telemetry_latest already: at most a second of the group's rows is read.
      .where('i.seq', '>', (eb) => eb.selectFrom('telemetry_inbox_copied').select('latest_seq').where('id', '=', 1))
      .groupBy('s.id');
    if (keys) query = query.where('s.key', 'in', keys);
    return query;
  }
}

/** Rows in key order → points per key. */
function byKey<R extends { key: string }>(rows: R[], point: (row: R) => Point): Record<string, Point[]> {
  const series: Record<string, Point[]> = {};
  for (const r of rows) {
    series[r.key] ??= [];
    series[r.key]?.push(point(r));
  }
  return series;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "60s", "5m", "1h", "1d", "500ms" or a number of seconds → milliseconds; null when not a duration. */
export function parseInterval(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  return ms > 0 ? ms : null;
}
