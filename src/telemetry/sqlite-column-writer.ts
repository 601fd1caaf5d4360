import type SQLite from 'better-sqlite3';
// The file alone, not storage/index.ts: the writer thread loads this module and needs neither Kysely nor pg.
import { withWriteLock } from '../storage/write-lock.js';
import { INBOX_GROUPS, inboxGroupOf } from './inbox-groups.js';
import { KEEP_NEWEST_LATEST } from './latest-values.js';
import type { PointColumns, SeriesDefinition } from './point-columns.js';
import { DEFAULT_INBOX_OPTIONS, type InboxOptions, type InboxSeries, TelemetryInbox } from './telemetry-inbox.js';
import { ValueKind } from './values.js';

interface SlotSeries extends InboxSeries {
  deviceId: string;
  key: string;
  /** The telemetry_series id, 0 until a committed transaction created or found it. */
  id: number;
  /**
   * At or above the newest ts stored for this series (telemetry_latest has it when the series is first seen: a
   * thread starts with the inbox merged, and only its own batches add to it): a point above it is new and
   * goes to the inbox; one at or below may replace a stored point. A rolled-back batch may leave it too high,
   * which only sends a point the longer way (to `telemetry`, after looking for an inbox twin).
   */
  maxTs: number;
}

/**
 * Writes batches in column form to SQLite with prepared statements, one transaction per batch — the work of the
 * writer thread (sqlite-writer-thread.ts), synchronous like better-sqlite3 itself. New points go to the
 * inbox (telemetry-inbox.ts), which `inbox.mergeDue()` moves into `telemetry` between batches. A point at or
 * below its series' newest ts (a resend, a device replaying its buffer) is written to `telemetry` directly,
 * after its inbox twin, if any, is removed: so each (series, ts) is stored in one place, and its last value wins.
 *
 * A point written directly takes one prepared single-row statement: measured against prepared multi-row
 * `VALUES (…),(…)` upserts of 16 to 200 rows on the same batches, single rows wrote ~95–140k rows/s and multi-row
 * ones ~65–70k. Inbox appends go a few rows to a statement, the size measured best (APPEND_ROWS, telemetry-inbox.ts).
 */
export class SqliteColumnWriter {
  private readonly slots: (SlotSeries | undefined)[] = [];
  private readonly insertSeries: SQLite.Statement;
  private readonly selectSeries: SQLite.Statement<[string, string], { id: number; ts: number | null }>;
  private readonly insertPoint: SQLite.Statement;
  private readonly upsertLatest: SQLite.Statement;
  readonly inbox: TelemetryInbox;

  constructor(
    private readonly db: SQLite.Database,
    inboxOptions: InboxOptions = DEFAULT_INBOX_OPTIONS,
  ) {
    this.inbox = new TelemetryInbox(db, inboxOptions);
    this.insertSeries = db.prepare(
      'insert into telemetry_series (device_id, key) values (?, ?) on conflict do nothing',
    );
    this.selectSeries = db.prepare(
      'select s.id, l.ts from telemetry_series s left join telemetry_latest l on l.series_id = s.id ' +
        'where s.device_id = ? and s.key = ?',
    );
    // The same series and timestamp twice means a resend: the last value wins.
    this.insertPoint = db.prepare(
      'insert into telemetry (series_id, ts, num, str, kind) values (?, ?, ?, ?, ?) ' +
        'on conflict (series_id, ts) do update set num = excluded.num, str = excluded.str, kind = excluded.kind',
    );
    this.upsertLatest = db.prepare(
      `insert into telemetry_latest (series_id, ts, num, str, kind) values (?, ?, ?, ?, ?) ${KEEP_NEWEST_LATEST}`,
    );
  }

  define(definitions: SeriesDefinition[]): void {
    for (const d of definitions)
      this.slots[d.slot] = { deviceId: d.deviceId, key: d.key, id: 0, maxTs: 0, inboxFrom: null };
  }

  /** Forgets slots of a deleted device (its series rows are gone; new data creates new ones). */
  forget(slots: number[]): void {
    for (const slot of slots) this.slots[slot] = undefined;
  }

  /**
   * Writes the batch in one transaction, or throws and writes none of it. BEGIN IMMEDIATE: the write lock is
   * taken (waiting for the main thread's connection, see withWriteLock) before anything is read.
   */
  write(columns: PointColumns): void {
    const created: SlotSeries[] = [];
    const added = new Uint32Array(INBOX_GROUPS);
    try {
      withWriteLock(this.db, () => this.insert(columns, created, added));
      this.inbox.committed(added);
    } catch (err) {
      // Series rows created inside the rolled-back transaction do not exist: their ids must not be cached.
      for (const s of created) s.id = 0;
      this.inbox.rolledBack();
      throw err;
    }
  }

  private insert(columns: PointColumns, created: SlotSeries[], added: Uint32Array): void {
    const { slot, ts, num, kind, str } = columns;
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
      const at = ts[row] as number;
      const value = text === null ? (num[row] as number) : null;
      const grp = inboxGroupOf(series.id);
      if (at > series.maxTs) {
        this.inbox.add(grp, series, at, value, text, k);
        series.maxTs = at;
        added[grp] = (added[grp] ?? 0) + 1;
      } else {
        this.inbox.remove(grp, series, at);
        this.insertPoint.run(series.id, at, value, text, k);
        // A resend of the series' newest point changes its latest value, and it is no longer in the inbox.
        this.upsertLatest.run(series.id, at, value, text, k);
      }
    }
    // New points reach telemetry_latest from the inbox, once a second rather than an upsert per series per batch.
    this.inbox.endBatch(performance.now());
  }

  private resolve(series: SlotSeries): number {
    this.insertSeries.run(series.deviceId, series.key);
    const row = this.selectSeries.get(series.deviceId, series.key);
    if (row === undefined) throw new Error(`series ${series.deviceId}/${series.key} could not be created`);
    series.maxTs = row.ts === null ? Number.NEGATIVE_INFINITY : Number(row.ts);
    return row.id;
  }
}
