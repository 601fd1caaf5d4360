import type SQLite from 'better-sqlite3';
import { withWriteLock } from '../storage/write-lock.js';
import { INBOX_GROUPS, inboxGroupOf } from './inbox-groups.js';
import { COPY_NEWEST_INBOX_ROWS } from './latest-values.js';

/** What the inbox must know of a series to keep every (series, ts) stored once across telemetry and inbox. */
export interface InboxSeries {
  id: number;
  /** The smallest ts of this series' rows in the inbox, null when it has none. */
  inboxFrom: number | null;
}

export interface InboxOptions {
  /** A group is merged once it holds this many rows. */
  mergeRows: number;
  /** Above this many rows in all, groups are merged before the next batch is written. */
  capRows: number;
  /**
   * `telemetry_latest` is brought up to date with the inbox's newest points at most this often (and by every
   * merge). In between, readers that need the exact latest values take the inbox's newest rows too (query.ts);
   * the lag shows only to SQL that reads `telemetry_latest` alone (the generated Grafana dashboards).
   */
  latestEveryMs: number;
}

/**
 * Rows per append statement. Measured on batches of 100 messages of 5 points (the writer's own code, its file
 * settings): the batch's writes cost ~3.9 µs a point with one row a statement (most of it the call into
 * better-sqlite3), ~2.4 µs with 5 or 6 rows, and more again from 7 rows on (8 rows: 3.4–3.9 µs).
 */
const APPEND_ROWS = 6;
const COLUMNS = 7;

export const DEFAULT_INBOX_OPTIONS: InboxOptions = { mergeRows: 4096, capRows: 16 * 8192, latestEveryMs: 1000 };

/**
 * The SQLite writer's inbox: new points are appended to `telemetry_inbox` and moved into `telemetry` later, a
 * group of series at a time.
 *
 * Why: `telemetry` is clustered on (series, ts) so that queries read a series' points together, which means a
 * commit dirties one B-tree leaf per series it touches, whatever the number of points. With 1,000 active series
 * a commit wrote ~1,500 pages (6 MB) to the WAL for 5,000 points: 12 ms of a 17 ms commit on this machine's disk
 * was that write, and at moderate load every acknowledgement waited for it. The inbox is keyed by (group, seq),
 * so a commit appends to at most 16 leaves (measured: ~35 pages for the same batch). A merge then moves one
 * group's rows — thousands of points of ~1/16 of the series — in one INSERT … SELECT sorted by (series, ts),
 * filling each leaf it touches instead of dirtying it for five points.
 *
 * Readers see both tables in one statement (src/telemetry/query.ts), so a point is visible from its commit on
 * and never twice: the writer keeps every (series, ts) in one place (see SqliteColumnWriter).
 */
export class TelemetryInbox {
  /** Rows per group since its last merge (an upper bound: a deleted device's rows are counted until then). */
  private readonly counts = new Array<number>(INBOX_GROUPS).fill(0);
  /** Series with rows in each group, whose inboxFrom a merge of the group resets. */
  private readonly pending: InboxSeries[][] = Array.from({ length: INBOX_GROUPS }, () => []);
  private total = 0;
  private seq = 0;
  /** Series whose inboxFrom the running batch set, to undo if its transaction rolls back. */
  private touched: { series: InboxSeries; grp: number }[] = [];
  /** Rows up to this seq are reflected in telemetry_latest. */
  private latestSeq = 0;
  /** performance.now() of the last copy to telemetry_latest. */
  private latestAt = Number.NEGATIVE_INFINITY;
  /** The seq the running batch's copy reached, taken by `committed`. */
  private latestCopied: number | null = null;
  private readonly append: SQLite.Statement;
  private readonly appendRows: SQLite.Statement;
  /** Rows add() holds back until APPEND_ROWS of them go in one statement, COLUMNS values each. */
  private readonly held: (number | string | null)[] = new Array(APPEND_ROWS * COLUMNS).fill(null);
  private heldRows = 0;
  private readonly removePoint: SQLite.Statement;
  private readonly copyLatest: SQLite.Statement;
  private readonly recordCopied: SQLite.Statement;
  private readonly mergeGroup: (grp: number) => void;

  constructor(
    private readonly db: SQLite.Database,
    private readonly options: InboxOptions = DEFAULT_INBOX_OPTIONS,
  ) {
    const insert = 'insert into telemetry_inbox (grp, seq, series_id, ts, num, str, kind) values ';
    const row = '(?, ?, ?, ?, ?, ?, ?)';
    this.append = db.prepare(insert + row);
    this.appendRows = db.prepare(insert + Array.from({ length: APPEND_ROWS }, () => row).join(', '));
    this.removePoint = db.prepare('delete from telemetry_inbox where grp = ? and series_id = ? and ts = ?');
    // seq last in the order: should a (series, ts) ever be there twice, the later row is written last and wins.
    const move = db.prepare(
      'insert into telemetry (series_id, ts, num, str, kind) ' +
        'select series_id, ts, num, str, kind from telemetry_inbox where grp = ? order by series_id, ts, seq ' +
        'on conflict (series_id, ts) do update set num = excluded.num, str = excluded.str, kind = excluded.kind',
    );
    // The newest row of each series of a group (above a seq) into telemetry_latest. The newest inbox row of a
    // series is its latest value unless a point at or below its newest ts came by the direct path since (after a
    // rolled-back batch left maxTs high, or a resend of its newest point, see `remove`), and then the direct path
    // updated telemetry_latest itself: the clause that keeps the newer value decides between the two.
    const { before, after } = COPY_NEWEST_INBOX_ROWS;
    this.copyLatest = db.prepare(`${before}grp = ? and seq > ?${after}`);
    // Readers of the latest values look in the inbox only above this (query.ts).
    this.recordCopied = db.prepare('update telemetry_inbox_copied set latest_seq = ? where id = 1');
    const clear = db.prepare('delete from telemetry_inbox where grp = ?');
    this.mergeGroup = (grp: number) => {
      this.copyLatest.run(grp, this.latestSeq);
      move.run(grp);
      clear.run(grp);
    };
    // seq goes on from the last run's, so that a row of this run is never at or below the copied mark it left.
    const last = db
      .prepare(
        'select max(coalesce((select max(seq) from telemetry_inbox), 0), ' +
          'coalesce((select latest_seq from telemetry_inbox_copied where id = 1), 0)) as seq',
      )
      .get() as { seq: number };
    // Whatever an earlier run left (a crash, a kill) is merged first (latestSeq 0: every row is copied to
    // telemetry_latest too); afterwards the inbox is empty and what this object knows of it is exact.
    if ((db.prepare('select count(*) as n from telemetry_inbox').get() as { n: number }).n > 0) {
      for (let g = 0; g < INBOX_GROUPS; g++) withWriteLock(db, () => this.mergeGroup(g));
    }
    this.seq = last.seq;
    this.latestSeq = last.seq;
  }

  /** Rows waiting in all groups. */
  get size(): number {
    return this.total;
  }

  /**
   * Appends a point of a series whose ts is above every stored one. Inside the batch's transaction: the counts
   * are taken by `committed` once it succeeded, and `rolledBack` undoes what this set — an inboxFrom left above
   * the series' real first inbox row would let a resend of that row past `remove`, and store it twice.
   */
  add(grp: number, series: InboxSeries, ts: number, num: number | null, str: string | null, kind: number): void {
    const held = this.held;
    const at = this.heldRows * COLUMNS;
    held[at] = grp;
    held[at + 1] = ++this.seq;
    held[at + 2] = series.id;
    held[at + 3] = ts;
    held[at + 4] = num;
    held[at + 5] = str;
    held[at + 6] = kind;
    if (++this.heldRows === APPEND_ROWS) {
      this.appendRows.run(held);
      this.heldRows = 0;
    }
    if (series.inboxFrom === null) {
      series.inboxFrom = ts;
      this.pending[grp]?.push(series);
      this.touched.push({ series, grp });
    }
  }

  /** Removes the inbox row of (series, ts), if any: a point sent again replaces it (in `telemetry`). */
  remove(grp: number, series: InboxSeries, ts: number): void {
    if (series.inboxFrom === null || ts < series.inboxFrom) return;
    this.writeHeld();
    this.removePoint.run(grp, series.id, ts);
  }

  /**
   * The end of a batch's transaction: writes the rows still held back, and brings telemetry_latest up to date
   * with the inbox if `latestEveryMs` passed since the last time. One statement per group over the rows added
   * since, instead of an upsert per series in every batch: under load that upsert cost ~2 µs of the writer
   * thread's ~7 µs a point, and dirtied the latest table's pages in every commit.
   */
  endBatch(now: number): void {
    this.writeHeld();
    if (now - this.latestAt < this.options.latestEveryMs || this.seq === this.latestSeq) return;
    this.copyAllLatest();
    this.latestCopied = this.seq;
    this.latestAt = now;
  }

  private writeHeld(): void {
    const held = this.held;
    for (let r = 0; r < this.heldRows; r++) {
      const at = r * COLUMNS;
      this.append.run(held[at], held[at + 1], held[at + 2], held[at + 3], held[at + 4], held[at + 5], held[at + 6]);
    }
    this.heldRows = 0;
  }

  /** Between batches (idle time): the same in a transaction of its own, if any row is not reflected yet. */
  refreshLatest(now: number): void {
    if (this.seq === this.latestSeq) return;
    const reached = this.seq;
    withWriteLock(this.db, () => this.copyAllLatest());
    this.latestSeq = reached;
    this.latestAt = now;
  }

  /** Copies every row above latestSeq and records the seq it reached, which counts once the transaction committed. */
  private copyAllLatest(): void {
    for (let g = 0; g < INBOX_GROUPS; g++) this.copyLatest.run(g, this.latestSeq);
    this.recordCopied.run(this.seq);
  }

  /** Undoes what `add` did to the series of a batch whose transaction rolled back (latest first). */
  rolledBack(): void {
    this.heldRows = 0;
    // The copy rolled back with the batch: latestSeq stays where the last committed copy left it. latestAt is
    // left as it is, which only delays the next copy (reads are exact either way).
    this.latestCopied = null;
    for (let i = this.touched.length - 1; i >= 0; i--) {
      const { series, grp } = this.touched[i] as { series: InboxSeries; grp: number };
      series.inboxFrom = null;
      this.pending[grp]?.pop();
    }
    this.touched = [];
  }

  /** Counts the rows a committed batch appended, per group. */
  committed(added: ArrayLike<number>): void {
    this.touched = [];
    if (this.latestCopied !== null) this.latestSeq = this.latestCopied;
    this.latestCopied = null;
    for (let g = 0; g < INBOX_GROUPS; g++) {
      const n = added[g] ?? 0;
      this.counts[g] = (this.counts[g] ?? 0) + n;
      this.total += n;
    }
  }

  /** Merges one group if one is full, and more while the inbox is over its cap; answers the groups merged. */
  mergeDue(): number {
    let merged = 0;
    for (;;) {
      const g = this.fullest();
      const rows = this.counts[g] ?? 0;
      const overCap = this.total > this.options.capRows;
      if (rows === 0 || (!overCap && (merged > 0 || rows < this.options.mergeRows))) return merged;
      this.merge(g);
      merged++;
    }
  }

  /** Merges the fullest group (idle time), or nothing when the inbox is empty. */
  mergeOne(): boolean {
    const g = this.fullest();
    if ((this.counts[g] ?? 0) === 0) return false;
    this.merge(g);
    return true;
  }

  /** Merges every group: at close, so the file a clean stop leaves has everything in `telemetry`. */
  mergeAll(): void {
    for (let g = 0; g < INBOX_GROUPS; g++) if ((this.counts[g] ?? 0) > 0) this.merge(g);
    // The inbox is empty and every row it held is reflected in telemetry_latest: the mark moves up to the last
    // seq, so the next run's rows are numbered above every one of this run's.
    if (this.latestSeq === this.seq) return;
    const reached = this.seq;
    withWriteLock(this.db, () => this.recordCopied.run(reached));
    this.latestSeq = reached;
  }

  private merge(g: number): void {
    withWriteLock(this.db, () => this.mergeGroup(g));
    this.total -= this.counts[g] ?? 0;
    this.counts[g] = 0;
    // (A series' group follows its id; one whose id changed since is no longer in this group's rows.)
    for (const s of this.pending[g] ?? []) if (inboxGroupOf(s.id) === g) s.inboxFrom = null;
    this.pending[g] = [];
  }

  private fullest(): number {
    let best = 0;
    for (let g = 1; g < INBOX_GROUPS; g++) if ((this.counts[g] ?? 0) > (this.counts[best] ?? 0)) best = g;
    return best;
  }
}
