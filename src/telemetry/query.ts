import { type Kysely, sql } from 'kysely';
import type { Cache } from '../cache/index.js';
import type { Database } from '../storage/index.js';
import type { TelemetryValue } from './codecs/types.js';
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

/** Reads telemetry back: raw points, aggregates bucketed in SQL, latest values. Same SQL on both dialects. */
export class TelemetryQuery {
  /**
   * `latestCache` keeps every latest value of a device (dropped on each commit for it, see the cache wiring);
   * without one, every call reads the database.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly latestCache: Cache<Record<string, Point>> | null = null,
  ) {}

  async range(q: RangeQuery): Promise<Record<string, Point[]>> {
    let query = this.db
      .selectFrom('telemetry as t')
      .innerJoin('telemetry_series as s', 's.id', 't.series_id')
      .select(['s.key', 't.ts', 't.num', 't.str', 't.kind'])
      .where('s.device_id', '=', q.deviceId)
      .where('t.ts', '>=', q.start)
      .where('t.ts', '<', q.end);
    if (q.keys) query = query.where('s.key', 'in', q.keys);
    const rows = await query.orderBy('s.key').orderBy('t.ts').limit(q.limit).execute();
    const series: Record<string, Point[]> = {};
    for (const r of rows) {
      series[r.key] ??= [];
      series[r.key]?.push({ ts: Number(r.ts), value: decodeValue(r.num, r.str, r.kind) });
    }
    return series;
  }

  /** One value per key and bucket of intervalMs, aligned to the epoch; numbers and booleans (as 0/1) only. */
  async aggregate(q: RangeQuery, agg: Aggregate, intervalMs: number): Promise<Record<string, Point[]>> {
    // A literal, not a parameter: SQLite binds JS numbers as REAL, which would make the division fractional.
    // intervalMs is a validated positive integer, so inlining it is safe.
    const width = sql.lit(Math.trunc(intervalMs));
    const bucket = sql<number>`(t.ts / ${width}) * ${width}`;
    const value = {
      avg: sql<number>`avg(t.num)`,
      min: sql<number>`min(t.num)`,
      max: sql<number>`max(t.num)`,
      sum: sql<number>`sum(t.num)`,
      count: sql<number>`count(t.num)`,
    }[agg];
    let query = this.db
      .selectFrom('telemetry as t')
      .innerJoin('telemetry_series as s', 's.id', 't.series_id')
      .select(['s.key', bucket.as('bucket'), value.as('value')])
      .where('s.device_id', '=', q.deviceId)
      .where('t.ts', '>=', q.start)
      .where('t.ts', '<', q.end)
      .where('t.num', 'is not', null);
    if (q.keys) query = query.where('s.key', 'in', q.keys);
    const rows = await query.groupBy(['s.key', bucket]).orderBy('s.key').orderBy('bucket').limit(q.limit).execute();
    const series: Record<string, Point[]> = {};
    for (const r of rows) {
      series[r.key] ??= [];
      series[r.key]?.push({ ts: Number(r.bucket), value: Number(r.value) });
    }
    return series;
  }

  async latest(deviceId: string, keys: string[] | null): Promise<Record<string, Point>> {
    if (!this.latestCache) return this.latestFromDb(deviceId, keys);
    const all = await this.latestCache.get(deviceId, () => this.latestFromDb(deviceId, null));
    if (!keys) return all;
    const wanted = new Set(keys);
    return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k)));
  }

  private async latestFromDb(deviceId: string, keys: string[] | null): Promise<Record<string, Point>> {
    let query = this.db
      .selectFrom('telemetry_latest as l')
      .innerJoin('telemetry_series as s', 's.id', 'l.series_id')
      .select(['s.key', 'l.ts', 'l.num', 'l.str', 'l.kind'])
      .where('s.device_id', '=', deviceId);
    if (keys) query = query.where('s.key', 'in', keys);
    const values: Record<string, Point> = {};
    for (const r of await query.orderBy('s.key').execute())
      values[r.key] = { ts: Number(r.ts), value: decodeValue(r.num, r.str, r.kind) };
    return values;
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "60s", "5m", "1h", "1d", "500ms" or a number of seconds → milliseconds; null when not a duration. */
export function parseInterval(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  return ms > 0 ? ms : null;
}
