import type SQLite from 'better-sqlite3';
import type { PointColumns, SeriesDefinition } from './point-columns.js';
import { ValueKind } from './values.js';

interface SlotSeries {
  deviceId: string;
  key: string;
  /** The telemetry_series id, 0 until a committed transaction created or found it. */
  id: number;
}

/**
 * Writes batches in column form to SQLite with prepared statements, one transaction per batch — the work of the
 * writer thread (sqlite-writer-thread.ts), synchronous like better-sqlite3 itself.
 *
 * One prepared single-row statement per point: measured against prepared multi-row `VALUES (…),(…)` upserts
 * of 16 to 200 rows on the same batches, single rows wrote ~95–140k rows/s and multi-row ones ~65–70k.
 */
export class SqliteColumnWriter {
  private readonly slots: (SlotSeries | undefined)[] = [];
  private readonly insertSeries: SQLite.Statement;
  private readonly selectSeries: SQLite.Statement<[string, string], { id: number }>;
  private readonly insertPoint: SQLite.Statement;
  private readonly upsertLatest: SQLite.Statement;
  private readonly writeBatch: SQLite.Transaction<(columns: PointColumns, created: SlotSeries[]) => void>;

  constructor(db: SQLite.Database) {
    this.insertSeries = db.prepare(
      'insert into telemetry_series (device_id, key) values (?, ?) on conflict do nothing',
    );
    this.selectSeries = db.prepare('select id from telemetry_series where device_id = ? and key = ?');
    // The same series and timestamp twice means a resend: the last value wins.
    this.insertPoint = db.prepare(
      'insert into telemetry (series_id, ts, num, str, kind) values (?, ?, ?, ?, ?) ' +
        'on conflict (series_id, ts) do update set num = excluded.num, str = excluded.str, kind = excluded.kind',
    );
    this.upsertLatest = db.prepare(
      'insert into telemetry_latest (series_id, ts, num, str, kind) values (?, ?, ?, ?, ?) ' +
        'on conflict (series_id) do update set ts = excluded.ts, num = excluded.num, str = excluded.str, kind = excluded.kind ' +
        'where excluded.ts >= telemetry_latest.ts',
    );
    this.writeBatch = db.transaction((columns: PointColumns, created: SlotSeries[]) => this.insert(columns, created));
  }

  define(definitions: SeriesDefinition[]): void {
    for (const d of definitions) this.slots[d.slot] = { deviceId: d.deviceId, key: d.key, id: 0 };
  }

  /** Forgets slots of a deleted device (its series rows are gone; new data creates new ones). */
  forget(slots: number[]): void {
    for (const slot of slots) this.slots[slot] = undefined;
  }

  /**
   * Writes the batch in one transaction, or throws and writes none of it. BEGIN IMMEDIATE: the write lock is
   * taken (waiting up to busy_timeout for the main thread's connection) before anything is read.
   */
  write(columns: PointColumns): void {
    const created: SlotSeries[] = [];
    try {
      this.writeBatch.immediate(columns, created);
    } catch (err) {
      // Series rows created inside the rolled-back transaction do not exist: their ids must not be cached.
      for (const s of created) s.id = 0;
      throw err;
    }
  }

  private insert(columns: PointColumns, created: SlotSeries[]): void {
    const { slot, ts, num, kind, str } = columns;
    // Row of the newest point per series id, for telemetry_latest, and the text of string rows among them.
    const newest = new Map<number, number>();
    const texts = new Map<number, string>();
    let s = 0;
    for (let row = 0; row < slot.length; row++) {
      const series = this.slots[slot[row] as number];
      if (series === undefined) throw new Error(`telemetry series slot ${slot[row]} is not defined`);
      if (series.id === 0) {
        series.id = this.resolve(series);
        created.push(series);
      }
      const k = kind[row] as number;
      const text = k === ValueKind.String || k === ValueKind.Json ? (str[s++] as string) : null;
      this.insertPoint.run(series.id, ts[row], text === null ? num[row] : null, text, k);
      const prev = newest.get(series.id);
      if (prev === undefined || (ts[row] as number) >= (ts[prev] as number)) {
        newest.set(series.id, row);
        if (text !== null) texts.set(row, text);
      }
    }
    for (const [id, row] of newest) {
      const text = texts.get(row) ?? null;
      this.upsertLatest.run(id, ts[row], text === null ? num[row] : null, text, kind[row]);
    }
  }

  private resolve(series: SlotSeries): number {
    this.insertSeries.run(series.deviceId, series.key);
    const id = this.selectSeries.get(series.deviceId, series.key)?.id;
    if (id === undefined) throw new Error(`series ${series.deviceId}/${series.key} could not be created`);
    return id;
  }
}
