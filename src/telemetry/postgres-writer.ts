import type pg from 'pg';
import { isUniqueViolation } from '../storage/index.js';
import { KEEP_NEWEST_LATEST } from './latest-values.js';
import { type PointColumns, type SeriesDefinition, SeriesSlots, toColumns } from './point-columns.js';
import type { PointBatchItem, PointWriter } from './point-store.js';
import { nullArray, nullableNumberArray, numberArray, textArray } from './postgres-array-literal.js';
import { ValueKind } from './values.js';

/** Rows ready for the statement: series ids resolved; `text` per row only when the batch holds strings. */
interface PointRows {
  sid: Float64Array;
  ts: Float64Array;
  num: Float64Array;
  kind: Uint8Array;
  text: (string | null)[] | null;
}

/**
 * One statement per batch: the points and the latest values go in together (a data-modifying WITH runs to
 * completion inside the statement), so a batch is atomic without BEGIN/COMMIT and costs one round trip.
 */
const writeBatch = (onConflict: string) => `
with points as (
  insert into telemetry (series_id, ts, num, str, kind)
  select * from unnest($1::bigint[], $2::bigint[], $3::float8[], $4::text[], $5::smallint[])
  ${onConflict}
)
insert into telemetry_latest (series_id, ts, num, str, kind)
select * from unnest($6::bigint[], $7::bigint[], $8::float8[], $9::text[], $10::int[])
${KEEP_NEWEST_LATEST}`;

/**
 * A batch goes in first as plain inserts: an upsert's speculative insertion costs PostgreSQL about a third
 * more per row, and points are almost always new. A resend of a point already stored (a QoS 1 message
 * delivered again after a reconnect) makes that statement fail whole, with nothing written, and the batch goes
 * again as an upsert, where the same series and timestamp keeps the last value.
 */
const WRITE_NEW_POINTS = writeBatch('');
const WRITE_POINTS_OVER_RESENDS = writeBatch(
  'on conflict (series_id, ts) do update set num = excluded.num, str = excluded.str, kind = excluded.kind',
);

/**
 * PostgreSQL writer: a whole batch in one statement with column arrays and unnest() instead of thousands of
 * bind parameters, the arrays sent as literals built from the batch's typed columns. The group-commit
 * batcher runs one batch at a time, so batches reach PostgreSQL in arrival order.
 */
export class PostgresPointWriter implements PointWriter {
  private readonly slots = new SeriesSlots();
  /** telemetry_series id by slot. */
  private readonly ids: number[] = [];

  constructor(private readonly pool: pg.Pool) {}

  async write(items: PointBatchItem[]): Promise<void> {
    const columns = toColumns(items, this.slots);
    await this.resolveSeries(columns.defined);
    let rows = this.rowsOf(columns);
    // ON CONFLICT DO UPDATE may not touch a row twice in one statement: a resend inside the batch keeps its last.
    if (repeatsSeriesTimestamp(rows)) rows = select(rows, lastOfEach(rows));
    const latest = select(rows, newestOfEach(rows));
    const params = [...literals(rows), ...literals(latest)];
    try {
      await this.pool.query(WRITE_NEW_POINTS, params);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.pool.query(WRITE_POINTS_OVER_RESENDS, params);
    }
  }

  forgetDevice(deviceId: string): void {
    for (const slot of this.slots.forgetDevice(deviceId)) delete this.ids[slot];
  }

  /** The pool belongs to storage, which closes it. */
  async close(): Promise<void> {}

  /**
   * Ids for series first seen in this batch. Created in their own statements, before the points: a series row
   * without points is harmless, and an id is never cached from a transaction that rolled back.
   */
  private async resolveSeries(defined: SeriesDefinition[]): Promise<void> {
    if (defined.length === 0) return;
    const devices = defined.map((d) => d.deviceId);
    const keys = defined.map((d) => d.key);
    await this.pool.query(
      'insert into telemetry_series (device_id, key) select * from unnest($1::text[], $2::text[]) on conflict do nothing',
      [devices, keys],
    );
    const found = await this.pool.query<{ id: number; ord: number }>(
      `select s.id, w.ord from unnest($1::text[], $2::text[]) with ordinality as w(device_id, key, ord)
       join telemetry_series s on s.device_id = w.device_id and s.key = w.key`,
      [devices, keys],
    );
    for (const row of found.rows) this.ids[(defined[Number(row.ord) - 1] as SeriesDefinition).slot] = Number(row.id);
    for (const d of defined) {
      if (this.ids[d.slot] === undefined) throw new Error(`series ${d.deviceId}/${d.key} could not be created`);
    }
  }

  private rowsOf(c: PointColumns): PointRows {
    const n = c.slot.length;
    const sid = new Float64Array(n);
    for (let i = 0; i < n; i++) sid[i] = this.ids[c.slot[i] as number] as number;
    let text: (string | null)[] | null = null;
    if (c.str.length > 0) {
      text = new Array<string | null>(n).fill(null);
      let s = 0;
      for (let i = 0; i < n; i++) if (isText(c.kind[i] as number)) text[i] = c.str[s++] as string;
    }
    return { sid, ts: c.ts, num: c.num, kind: c.kind, text };
  }
}

const isText = (kind: number) => kind === ValueKind.String || kind === ValueKind.Json;

/**
 * Whether some series has a timestamp twice. Cheap for the usual batch, where each series' points come in
 * increasing time: only a point not later than its series' previous one needs the exact check.
 */
function repeatsSeriesTimestamp(rows: PointRows): boolean {
  const previous = new Map<number, number>();
  let ordered = true;
  for (let i = 0; i < rows.sid.length && ordered; i++) {
    const sid = rows.sid[i] as number;
    const ts = rows.ts[i] as number;
    const last = previous.get(sid);
    if (last !== undefined && ts <= last) ordered = false;
    previous.set(sid, ts);
  }
  if (ordered) return false;
  const seen = new Set<string>();
  for (let i = 0; i < rows.sid.length; i++) {
    const k = `${rows.sid[i]}:${rows.ts[i]}`;
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/** Rows to keep so each (series, ts) appears once with its last value, in row order. */
function lastOfEach(rows: PointRows): number[] {
  const last = new Map<string, number>();
  for (let i = 0; i < rows.sid.length; i++) last.set(`${rows.sid[i]}:${rows.ts[i]}`, i);
  return [...last.values()].sort((a, b) => a - b);
}

/** The row of each series' newest point (the last of equal timestamps), for telemetry_latest. */
function newestOfEach(rows: PointRows): number[] {
  const newest = new Map<number, number>();
  for (let i = 0; i < rows.sid.length; i++) {
    const sid = rows.sid[i] as number;
    const prev = newest.get(sid);
    if (prev === undefined || (rows.ts[i] as number) >= (rows.ts[prev] as number)) newest.set(sid, i);
  }
  return [...newest.values()];
}

function select(rows: PointRows, keep: number[]): PointRows {
  const n = keep.length;
  const out: PointRows = {
    sid: new Float64Array(n),
    ts: new Float64Array(n),
    num: new Float64Array(n),
    kind: new Uint8Array(n),
    text: rows.text ? new Array<string | null>(n) : null,
  };
  for (let j = 0; j < n; j++) {
    const i = keep[j] as number;
    out.sid[j] = rows.sid[i] as number;
    out.ts[j] = rows.ts[i] as number;
    out.num[j] = rows.num[i] as number;
    out.kind[j] = rows.kind[i] as number;
    if (out.text && rows.text) out.text[j] = rows.text[i] ?? null;
  }
  return out;
}

/** The five column parameters: series_id, ts, num, str, kind. */
function literals(rows: PointRows): string[] {
  const { text, kind } = rows;
  return [
    numberArray(rows.sid),
    numberArray(rows.ts),
    text ? nullableNumberArray(rows.num, (i) => !isText(kind[i] as number)) : numberArray(rows.num),
    text ? textArray(text) : nullArray(rows.sid.length),
    numberArray(kind),
  ];
}
