import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Cache } from '../cache/index.js';
import type { Database } from '../storage/index.js';
import type { TelemetryValue } from './codecs/types.js';
import { INBOX_GROUPS, inboxGroupOf } from './inbox-groups.js';
import { answerTooLarge, type SeriesAnswer, SeriesAnswerBuilder } from './series-answer.js';
import { decodeValue } from './values.js';

export type Aggregate = 'avg' | 'min' | 'max' | 'sum' | 'count';

export interface RangeQuery {
  deviceId: string;
  keys: string[] | null;
  start: number;
  /** Exclusive: a point at `end` belongs to the next range. */
  end: number;
  /** Points (or buckets) per key; a key with more in the range answers its newest `limit`, and is named truncated. */
  limit: number;
  /** Points (or buckets) of all keys together; an answer that would hold more is refused. Unbounded if left out. */
  maxTotal?: number;
}

export interface Point {
  ts: number;
  value: TelemetryValue;
}

/**
 * Reads telemetry back: raw points, aggregates computed in SQL, latest values. Range and aggregate reads take each
 * key's newest `limit` points (or buckets) with `ORDER BY ts DESC LIMIT`, which walks the (series_id, ts) key
 * backwards and stops there. On SQLite points are read from `telemetry` and the inbox together, a statement per
 * series; on PostgreSQL, whose inbox stays empty, from `telemetry` in one statement for all series (a LATERAL
 * join, the same limit per series).
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
     * bare columns beside max(), which PostgreSQL refuses (and SQLite has no LATERAL).
     */
    private readonly inbox: boolean,
  ) {}

  /** The raw points of each key in [start, end): its newest `limit`, in ascending order. */
  async range(q: RangeQuery): Promise<SeriesAnswer> {
    const answer = new SeriesAnswerBuilder(q.limit, q.maxTotal);
    const series = await this.seriesOf(q.deviceId, q.keys);
    if (!this.inbox) return this.rangeOfTelemetry(q, series, answer);
    for (const { id, key } of series) {
      // One statement per series, so both tables are read in one snapshot: a merge between them cannot show a
      // point twice or hide it.
      const rows = await this.stored(id, q)
        .select(['ts', 'num', 'str', 'kind'])
        .unionAll(this.unmerged(id, q).select(['ts', 'num', 'str', 'kind']))
        .orderBy('ts', 'desc')
        .limit(answer.take)
        .execute();
      answer.add(key, rows.reverse().map(toPoint));
    }
    return answer.done();
  }

  /**
   * Aggregates of numbers and booleans (as 0/1) per key. With `intervalMs`, one value per bucket of that width,
   * buckets aligned to the epoch and each stamped with its own start — the first may start before `q.start` but
   * holds only points at or after it — and each key's newest `limit` buckets. Without, one value per key over the
   * whole [start, end), stamped at `q.start`.
   */
  async aggregate(q: RangeQuery, agg: Aggregate, intervalMs: number | null): Promise<SeriesAnswer> {
    const value = {
      avg: sql<number>`avg(p.num)`,
      min: sql<number>`min(p.num)`,
      max: sql<number>`max(p.num)`,
      sum: sql<number>`sum(p.num)`,
      count: sql<number>`count(p.num)`,
    }[agg];
    const answer = new SeriesAnswerBuilder(q.limit, q.maxTotal);
    const series = await this.seriesOf(q.deviceId, q.keys);
    if (intervalMs === null) return this.aggregateOverRange(q, series, value, answer);
    // A literal, not a parameter: SQLite binds JS numbers as REAL, which would make the division fractional.
    // intervalMs is a validated positive integer, so inlining it is safe.
    const width = sql.lit(Math.trunc(intervalMs));
    const bucket = sql<number>`(p.ts / ${width}) * ${width}`;
    if (!this.inbox) return this.bucketsOfTelemetry(q, series, bucket, value, answer);
    for (const { id, key } of series) {
      const rows = await this.db
        .selectFrom(this.numbers(id, q).as('p'))
        .select([bucket.as('bucket'), value.as('value')])
        .groupBy(bucket)
        .orderBy('bucket', 'desc')
        .limit(answer.take)
        .execute();
      answer.add(
        key,
        rows.reverse().map((r) => ({ ts: Number(r.bucket), value: Number(r.value) })),
      );
    }
    return answer.done();
  }

  /** `aggregate` without interval: a value per key with a number in the range (a grouping by key on PostgreSQL). */
  private async aggregateOverRange(
    q: RangeQuery,
    series: Series[],
    value: RawBuilder<number>,
    answer: SeriesAnswerBuilder,
  ): Promise<SeriesAnswer> {
    if (series.length === 0) return answer.done();
    if (!this.inbox) {
      const rows = await this.db
        .selectFrom('telemetry as p')
        .innerJoin('telemetry_series as s', 's.id', 'p.series_id')
        .select(['s.key', value.as('value')])
        .where('p.series_id', 'in', idsOf(series))
        .where('p.ts', '>=', q.start)
        .where('p.ts', '<', q.end)
        .where('p.num', 'is not', null)
        .groupBy('s.key')
        .orderBy('s.key')
        .execute();
      for (const r of rows) answer.add(r.key, [{ ts: q.start, value: Number(r.value) }]);
      return answer.done();
    }
    for (const { id, key } of series) {
      // An aggregate without GROUP BY answers one row even over no points: the count tells them apart.
      const row = await this.db
        .selectFrom(this.numbers(id, q).as('p'))
        .select([sql<number>`count(p.num)`.as('n'), value.as('value')])
        .executeTakeFirst();
      if (row && Number(row.n) > 0) answer.add(key, [{ ts: q.start, value: Number(row.value) }]);
    }
    return answer.done();
  }

  /** `range` where every point is in `telemetry`: one statement, each series' newest rows through LATERAL. */
  private async rangeOfTelemetry(q: RangeQuery, series: Series[], answer: SeriesAnswerBuilder) {
    if (series.length === 0) return answer.done();
    const perSeries = answer.take;
    const query = this.db
      .selectFrom('telemetry_series as s')
      .crossJoinLateral((eb) =>
        eb
          .selectFrom('telemetry as t')
          .select(['t.ts', 't.num', 't.str', 't.kind'])
          .whereRef('t.series_id', '=', 's.id')
          .where('t.ts', '>=', q.start)
          .where('t.ts', '<', q.end)
          .orderBy('t.ts', 'desc')
          .limit(perSeries)
          .as('p'),
      )
      .select(['s.key', 'p.ts', 'p.num', 'p.str', 'p.kind'])
      .where('s.id', 'in', idsOf(series))
      .orderBy('s.key')
      .orderBy('p.ts');
    return this.addByKey(await withinTotal(query, q, series).execute(), toPoint, q, series, answer);
  }

  /** `aggregate` with interval where every point is in `telemetry`: one statement, as `rangeOfTelemetry`. */
  private async bucketsOfTelemetry(
    q: RangeQuery,
    series: Series[],
    bucket: RawBuilder<number>,
    value: RawBuilder<number>,
    answer: SeriesAnswerBuilder,
  ) {
    if (series.length === 0) return answer.done();
    const perSeries = answer.take;
    const query = this.db
      .selectFrom('telemetry_series as s')
      .crossJoinLateral((eb) =>
        eb
          .selectFrom('telemetry as p')
          .select([bucket.as('bucket'), value.as('value')])
          .whereRef('p.series_id', '=', 's.id')
          .where('p.ts', '>=', q.start)
          .where('p.ts', '<', q.end)
          .where('p.num', 'is not', null)
          .groupBy(bucket)
          .orderBy('bucket', 'desc')
          .limit(perSeries)
          .as('b'),
      )
      .select(['s.key', 'b.bucket', 'b.value'])
      .where('s.id', 'in', idsOf(series))
      .orderBy('s.key')
      .orderBy('b.bucket');
    const rows = await withinTotal(query, q, series).execute();
    return this.addByKey(rows, (r) => ({ ts: Number(r.bucket), value: Number(r.value) }), q, series, answer);
  }

  /** Rows in key order (ascending within a key) → the answer; refused when `withinTotal`'s bound was reached. */
  private addByKey<R extends { key: string }>(
    rows: R[],
    point: (row: R) => Point,
    q: RangeQuery,
    series: Series[],
    answer: SeriesAnswerBuilder,
  ): SeriesAnswer {
    if (q.maxTotal !== undefined && rows.length >= q.maxTotal + series.length + 1) throw answerTooLarge(q.maxTotal);
    let key: string | null = null;
    let points: Point[] = [];
    for (const r of rows) {
      if (r.key !== key) {
        if (key !== null) answer.add(key, points);
        key = r.key;
        points = [];
      }
      points.push(point(r));
    }
    if (key !== null) answer.add(key, points);
    return answer.done();
  }

  /** The device's series (all, or those of `keys`), in key order. */
  private async seriesOf(deviceId: string, keys: string[] | null): Promise<Series[]> {
    if (keys?.length === 0) return [];
    let query = this.db.selectFrom('telemetry_series').select(['id', 'key']).where('device_id', '=', deviceId);
    if (keys) query = query.where('key', 'in', keys);
    const rows = await query.orderBy('key').execute();
    // PostgreSQL answers bigint ids as strings.
    return rows.map((r) => ({ id: Number(r.id), key: r.key }));
  }

  /** A series' numbers (and booleans, as 0/1) in the range, from both tables, for aggregates. */
  private numbers(seriesId: number, q: RangeQuery) {
    return this.stored(seriesId, q)
      .select(['ts', 'num'])
      .where('num', 'is not', null)
      .unionAll(this.unmerged(seriesId, q).select(['ts', 'num']).where('num', 'is not', null));
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

interface Series {
  id: number;
  key: string;
}

const idsOf = (series: Series[]) => series.map((s) => s.id);

const toPoint = (r: { ts: unknown; num: number | null; str: string | null; kind: number }): Point => ({
  ts: Number(r.ts),
  value: decodeValue(r.num, r.str, r.kind),
});

/**
 * The one-statement forms take up to `limit + 1` rows of each series whatever is left of `maxTotal`: bounding the
 * statement to `maxTotal` plus one row a series keeps an answer that is refused anyway from being read whole.
 */
function withinTotal<Q extends { limit(n: number): Q }>(query: Q, q: RangeQuery, series: Series[]): Q {
  return q.maxTotal === undefined ? query : query.limit(q.maxTotal + series.length + 1);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "60s", "5m", "1h", "1d", "500ms" or a number of seconds → milliseconds; null when not a duration. */
export function parseInterval(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  return ms > 0 ? ms : null;
}
