import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, systemClock } from '../kernel/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { type PointColumns, SeriesSlots, toColumns } from './point-columns.js';
import type { PointBatchItem } from './point-store.js';
import { TelemetryQuery } from './query.js';
import { RetentionSweeper } from './retention.js';
import { SqliteColumnWriter } from './sqlite-column-writer.js';
import { DEFAULT_INBOX_OPTIONS, type InboxOptions } from './telemetry-inbox.js';

/** telemetry_latest brought up to date in every batch, so the table itself can be compared. */
const EVERY_BATCH: InboxOptions = { ...DEFAULT_INBOX_OPTIONS, latestEveryMs: 0 };
/** telemetry_latest only by merges (and the first batch): what readers see between two copies. */
const SELDOM: InboxOptions = { ...DEFAULT_INBOX_OPTIONS, latestEveryMs: 3_600_000 };

let dir: string;
let storage: Storage;
let db: SQLite.Database;
let slots: SeriesSlots;
let writer: SqliteColumnWriter;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fl-columns-'));
  storage = openStorage({ databaseUrl: null, dataDir: dir });
  await storage.migrate();
  db = storage.sqlite as SQLite.Database;
  slots = new SeriesSlots();
  writer = new SqliteColumnWriter(db, EVERY_BATCH);
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const write = (items: PointBatchItem[]): PointColumns => {
  const columns = toColumns(items, slots);
  writer.define(columns.defined);
  writer.write(columns);
  return columns;
};
/** Every stored point, from `telemetry` and the inbox together (as the queries read them), or from one table. */
const rows = (
  from = 'select series_id, ts, num, str, kind from telemetry union all select series_id, ts, num, str, kind from telemetry_inbox',
) =>
  db
    .prepare(
      `select s.device_id, s.key, t.ts, t.num, t.str, t.kind from (${from}) t
       join telemetry_series s on s.id = t.series_id order by s.device_id, s.key, t.ts`,
    )
    .all();
const merged = () => rows('select series_id, ts, num, str, kind from telemetry');
const inInbox = () => rows('select series_id, ts, num, str, kind from telemetry_inbox');
const latest = () =>
  db
    .prepare(
      `select s.device_id, s.key, l.ts, l.num, l.str from telemetry_latest l
       join telemetry_series s on s.id = l.series_id order by s.device_id, s.key`,
    )
    .all();

/** The batch and one more row, naming a slot the writer was never told about: it fails after the others. */
function withUnknownSlot(columns: PointColumns, slot: number): PointColumns {
  return {
    ...columns,
    slot: Int32Array.from([...columns.slot, slot]),
    ts: Float64Array.from([...columns.ts, 1]),
    num: Float64Array.from([...columns.num, 1]),
    kind: Uint8Array.from([...columns.kind, 0]),
  };
}

/**
 * Points of this value make their batch's COMMIT fail (a deferred foreign key, checked at COMMIT), after
 * everything the batch does — the copy to telemetry_latest included — has run.
 */
const FAILS_AT_COMMIT = -666;
function failAtCommit(): void {
  db.exec(`create table if not exists parent (id integer primary key);
    create table if not exists child (p integer references parent (id) deferrable initially deferred);
    create trigger if not exists fail_inbox after insert on telemetry_inbox when new.num = ${FAILS_AT_COMMIT}
      begin insert into child values (42); end;
    create trigger if not exists fail_direct after insert on telemetry when new.num = ${FAILS_AT_COMMIT}
      begin insert into child values (42); end;
    create trigger if not exists fail_resend after update on telemetry when new.num = ${FAILS_AT_COMMIT}
      begin insert into child values (42); end;`);
}
const copiedMark = () =>
  (db.prepare('select latest_seq from telemetry_inbox_copied where id = 1').get() as { latest_seq: number }).latest_seq;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SqliteColumnWriter', () => {
  it('stores every kind of value and keeps the newest point of each series as latest', () => {
    write([
      {
        deviceId: 'd1',
        readings: [
          { ts: 20, key: 't', value: 21.5 },
          { ts: 10, key: 't', value: 19 },
          { ts: 10, key: 'on', value: true },
          { ts: 10, key: 'mode', value: 'auto' },
          { ts: 10, key: 'cfg', value: { a: 1 } },
        ],
      },
    ]);
    expect(rows()).toEqual([
      { device_id: 'd1', key: 'cfg', ts: 10, num: null, str: '{"a":1}', kind: 3 },
      { device_id: 'd1', key: 'mode', ts: 10, num: null, str: 'auto', kind: 2 },
      { device_id: 'd1', key: 'on', ts: 10, num: 1, str: null, kind: 1 },
      { device_id: 'd1', key: 't', ts: 10, num: 19, str: null, kind: 0 },
      { device_id: 'd1', key: 't', ts: 20, num: 21.5, str: null, kind: 0 },
    ]);
    expect(latest()).toEqual([
      { device_id: 'd1', key: 'cfg', ts: 10, num: null, str: '{"a":1}' },
      { device_id: 'd1', key: 'mode', ts: 10, num: null, str: 'auto' },
      { device_id: 'd1', key: 'on', ts: 10, num: 1, str: null },
      { device_id: 'd1', key: 't', ts: 20, num: 21.5, str: null },
    ]);
  });

  it('keeps the last value written for the same series and timestamp (a QoS 1 resend)', () => {
    write([{ deviceId: 'd1', readings: [{ ts: 5, key: 't', value: 1 }] }]);
    write([
      { deviceId: 'd1', readings: [{ ts: 5, key: 't', value: 2 }] },
      { deviceId: 'd1', readings: [{ ts: 5, key: 't', value: 'three' }] },
    ]);
    expect(rows()).toEqual([{ device_id: 'd1', key: 't', ts: 5, num: null, str: 'three', kind: 2 }]);
  });

  it('does not move latest back for an older point', () => {
    write([{ deviceId: 'd1', readings: [{ ts: 50, key: 't', value: 5 }] }]);
    write([{ deviceId: 'd1', readings: [{ ts: 40, key: 't', value: 4 }] }]);
    expect(latest()).toEqual([{ device_id: 'd1', key: 't', ts: 50, num: 5, str: null }]);
  });

  it('writes nothing of a failed batch, and does not cache series ids it rolled back', () => {
    const columns = toColumns([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }], slots);
    writer.define(columns.defined);
    // A row naming a slot the writer was never told about fails the batch after its series row was created.
    const broken = withUnknownSlot(columns, 99);
    expect(() => writer.write(broken)).toThrow(/slot 99/);
    expect(rows()).toEqual([]);
    expect(db.prepare('select count(*) as n from telemetry_series').get()).toEqual({ n: 0 });
    // The same slot again: its series is created anew, and the point refers to a series that exists.
    write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 7 }] }]);
    expect(rows()).toEqual([{ device_id: 'd1', key: 't', ts: 1, num: 7, str: null, kind: 0 }]);
  });

  it('creates new series for a device whose slots were forgotten', () => {
    write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]);
    db.exec(
      'delete from telemetry; delete from telemetry_inbox; delete from telemetry_latest; delete from telemetry_series',
    );
    writer.forget(slots.forgetDevice('d1'));
    write([{ deviceId: 'd1', readings: [{ ts: 2, key: 't', value: 2 }] }]);
    expect(rows()).toEqual([{ device_id: 'd1', key: 't', ts: 2, num: 2, str: null, kind: 0 }]);
  });

  it('commits new points to the inbox and merges them into telemetry unchanged', () => {
    write([
      {
        deviceId: 'd1',
        readings: [
          { ts: 1, key: 't', value: 1 },
          { ts: 1, key: 'm', value: 'x' },
        ],
      },
    ]);
    const all = rows();
    expect(inInbox()).toEqual(all);
    expect(merged()).toEqual([]);
    writer.inbox.mergeAll();
    expect(merged()).toEqual(all);
    expect(inInbox()).toEqual([]);
    expect(writer.inbox.size).toBe(0);
  });

  it('replaces a point still in the inbox by its resend, and a merged one too', () => {
    write([
      {
        deviceId: 'd1',
        readings: [
          { ts: 5, key: 't', value: 1 },
          { ts: 6, key: 't', value: 1 },
        ],
      },
    ]);
    write([{ deviceId: 'd1', readings: [{ ts: 5, key: 't', value: 2 }] }]);
    expect(rows()).toEqual([
      { device_id: 'd1', key: 't', ts: 5, num: 2, str: null, kind: 0 },
      { device_id: 'd1', key: 't', ts: 6, num: 1, str: null, kind: 0 },
    ]);
    writer.inbox.mergeAll();
    write([{ deviceId: 'd1', readings: [{ ts: 6, key: 't', value: 3 }] }]);
    expect(rows()).toEqual([
      { device_id: 'd1', key: 't', ts: 5, num: 2, str: null, kind: 0 },
      { device_id: 'd1', key: 't', ts: 6, num: 3, str: null, kind: 0 },
    ]);
  });

  it('forgets what a rolled-back batch appended: a later resend still finds its inbox twin', () => {
    const columns = toColumns([{ deviceId: 'd1', readings: [{ ts: 100, key: 't', value: 1 }] }], slots);
    writer.define(columns.defined);
    const broken = withUnknownSlot(columns, 99);
    expect(() => writer.write(broken)).toThrow(/slot 99/);
    write([{ deviceId: 'd1', readings: [{ ts: 90, key: 't', value: 1 }] }]);
    write([{ deviceId: 'd1', readings: [{ ts: 90, key: 't', value: 2 }] }]);
    expect(rows()).toEqual([{ device_id: 'd1', key: 't', ts: 90, num: 2, str: null, kind: 0 }]);
    writer.inbox.mergeAll();
    expect(merged()).toEqual([{ device_id: 'd1', key: 't', ts: 90, num: 2, str: null, kind: 0 }]);
  });

  it('merges a group once it is full, and as many as it takes when the inbox is over its cap', () => {
    writer = new SqliteColumnWriter(db, { ...EVERY_BATCH, mergeRows: 4, capRows: 6 });
    // One series: every point in one group.
    write([{ deviceId: 'd1', readings: [1, 2, 3].map((ts) => ({ ts, key: 't', value: ts })) }]);
    expect(writer.inbox.mergeDue()).toBe(0);
    write([{ deviceId: 'd1', readings: [{ ts: 4, key: 't', value: 4 }] }]);
    expect(writer.inbox.mergeDue()).toBe(1);
    expect(inInbox()).toEqual([]);
    expect(merged()).toHaveLength(4);
    // Seven series of one point each (one per group): none full, but over the cap, so merged until under it.
    write(Array.from({ length: 7 }, (_, i) => ({ deviceId: `s${i}`, readings: [{ ts: 1, key: 't', value: i }] })));
    expect(writer.inbox.size).toBe(7);
    expect(writer.inbox.mergeDue()).toBe(1);
    expect(writer.inbox.size).toBe(6);
    expect(rows()).toHaveLength(11);
  });

  it('merges what an earlier run left in the inbox when it starts', () => {
    write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]);
    // A new writer on the same file, as after a killed process.
    writer = new SqliteColumnWriter(db);
    expect(inInbox()).toEqual([]);
    expect(merged()).toEqual([{ device_id: 'd1', key: 't', ts: 1, num: 1, str: null, kind: 0 }]);
  });

  describe('latest values between two copies to telemetry_latest', () => {
    const exact = (deviceId: string) => new TelemetryQuery(storage.db, null, true).latest(deviceId, null);

    it('are read exactly from the inbox meanwhile, and reach telemetry_latest with a merge or a refresh', async () => {
      writer = new SqliteColumnWriter(db, SELDOM);
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]);
      write([
        {
          deviceId: 'd1',
          readings: [
            { ts: 3, key: 't', value: 3 },
            { ts: 2, key: 'mode', value: 'auto' },
          ],
        },
      ]);
      // The first batch was copied; the second waits in the inbox.
      expect(latest()).toEqual([{ device_id: 'd1', key: 't', ts: 1, num: 1, str: null }]);
      expect(await exact('d1')).toEqual({ mode: { ts: 2, value: 'auto' }, t: { ts: 3, value: 3 } });
      // Only the keys asked for, from both tables.
      expect(await new TelemetryQuery(storage.db, null, true).latest('d1', ['t'])).toEqual({ t: { ts: 3, value: 3 } });
      writer.inbox.refreshLatest(performance.now());
      expect(latest()).toEqual([
        { device_id: 'd1', key: 'mode', ts: 2, num: null, str: 'auto' },
        { device_id: 'd1', key: 't', ts: 3, num: 3, str: null },
      ]);
      write([{ deviceId: 'd1', readings: [{ ts: 4, key: 't', value: 4 }] }]);
      writer.inbox.mergeAll();
      expect(latest()).toContainEqual({ device_id: 'd1', key: 't', ts: 4, num: 4, str: null });
      expect(await exact('d1')).toEqual({ mode: { ts: 2, value: 'auto' }, t: { ts: 4, value: 4 } });
    });

    it('take a resend of the newest point, which leaves the inbox', async () => {
      writer = new SqliteColumnWriter(db, SELDOM);
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]);
      write([{ deviceId: 'd1', readings: [{ ts: 5, key: 't', value: 5 }] }]);
      write([{ deviceId: 'd1', readings: [{ ts: 5, key: 't', value: 'five' }] }]);
      expect(await exact('d1')).toEqual({ t: { ts: 5, value: 'five' } });
      writer.inbox.mergeAll();
      expect(latest()).toEqual([{ device_id: 'd1', key: 't', ts: 5, num: null, str: 'five' }]);
    });

    it('keep a committed point after a later batch copied and then failed at COMMIT', async () => {
      failAtCommit();
      writer = new SqliteColumnWriter(db, { ...DEFAULT_INBOX_OPTIONS, latestEveryMs: 50 });
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 'first', value: 1 }] }]); // copied: the first batch
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 'x', value: 7 }] }]); // waits above the mark
      await sleep(80);
      // This batch copies x's row, then its COMMIT fails: the copy is undone, and so must be what the writer
      // believes of it.
      expect(() => write([{ deviceId: 'd2', readings: [{ ts: 1, key: 'p', value: FAILS_AT_COMMIT }] }])).toThrow(
        /FOREIGN KEY/,
      );
      write([{ deviceId: 'd3', readings: [{ ts: 1, key: 'y', value: 2 }] }]);
      writer.inbox.mergeAll();
      expect(await exact('d1')).toEqual({ first: { ts: 1, value: 1 }, x: { ts: 1, value: 7 } });
      expect(latest()).toContainEqual({ device_id: 'd1', key: 'x', ts: 1, num: 7, str: null });
    });

    it('number the rows of a new run above the mark the last one left, even after a failed first batch', async () => {
      failAtCommit();
      writer = new SqliteColumnWriter(db, SELDOM);
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]); // copied: the first batch
      write([{ deviceId: 'd1', readings: [2, 3, 4, 5].map((ts) => ({ ts, key: 't', value: ts })) }]);
      // A clean stop: every row merged, and so copied, which the mark records.
      writer.inbox.mergeAll();
      expect(copiedMark()).toBe(5);
      slots = new SeriesSlots();
      writer = new SqliteColumnWriter(db, SELDOM);
      expect(() => write([{ deviceId: 'd2', readings: [{ ts: 1, key: 'p', value: FAILS_AT_COMMIT }] }])).toThrow(
        /FOREIGN KEY/,
      );
      write([{ deviceId: 'd1', readings: [{ ts: 9, key: 't', value: 9 }] }]);
      expect(await exact('d1')).toEqual({ t: { ts: 9, value: 9 } });
    });

    it('record the seq each copy reached, so readers look only above it', () => {
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]);
      write([{ deviceId: 'd1', readings: [{ ts: 2, key: 't', value: 2 }] }]);
      expect(copiedMark()).toBe(2);
      slots = new SeriesSlots();
      writer = new SqliteColumnWriter(db, SELDOM);
      write([{ deviceId: 'd1', readings: [{ ts: 3, key: 't', value: 3 }] }]); // copied: the first batch of a run
      write([{ deviceId: 'd1', readings: [{ ts: 4, key: 't', value: 4 }] }]);
      expect(copiedMark()).toBe(3);
      writer.inbox.refreshLatest(performance.now());
      expect(copiedMark()).toBe(4);
    });

    it('never move back when retention deletes an expired inbox row not copied yet', async () => {
      const day = 86_400_000;
      const now = Date.now();
      db.prepare(
        `insert into organizations (id, name, slug, settings, created_at, updated_at)
         values ('o1', 'Plant', 'plant-retention', '{"retention_days":1}', 0, 0)`,
      ).run();
      db.prepare(
        `insert into devices (id, organization_id, name, device_type, token_hash, created_at, updated_at)
         values ('d1', 'o1', 'D1', 'sensor', 'hash', 0, 0)`,
      ).run();
      writer = new SqliteColumnWriter(db, SELDOM);
      write([{ deviceId: 'd1', readings: [{ ts: now - 5 * day, key: 't', value: 1 }] }]); // copied
      write([{ deviceId: 'd1', readings: [{ ts: now - 4 * day, key: 't', value: 2 }] }]); // above the mark
      const sweeper = new RetentionSweeper(storage.db, 'sqlite', systemClock, createLogger('silent'));
      expect(await sweeper.sweep()).toBe(2);
      expect(await exact('d1')).toEqual({ t: { ts: now - 4 * day, value: 2 } });
      expect(rows()).toEqual([]);
    });

    it('are copied by the merge a restart runs, after a kill left them in the inbox only', async () => {
      writer = new SqliteColumnWriter(db, SELDOM);
      write([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }]);
      write([{ deviceId: 'd1', readings: [{ ts: 2, key: 't', value: 2 }] }]);
      writer = new SqliteColumnWriter(db, SELDOM);
      expect(latest()).toEqual([{ device_id: 'd1', key: 't', ts: 2, num: 2, str: null }]);
    });
  });

  it('stores each series and timestamp once, with its last value, and reads the latest values exactly, whatever the order of points, resends and merges', async () => {
    const failedPoints = fc.array(
      fc.record({
        device: fc.constantFrom('a', 'b', 'c'),
        key: fc.constantFrom('x', 'y'),
        ts: fc.integer({ min: 0, max: 12 }),
      }),
      { minLength: 1, maxLength: 4 },
    );
    const step = fc.oneof(
      fc.record({
        batch: fc.array(
          fc.record({
            device: fc.constantFrom('a', 'b'),
            key: fc.constantFrom('x', 'y', 'z'),
            ts: fc.integer({ min: 0, max: 12 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
      }),
      // A batch that fails after some of its points were written (a slot the writer was never told about):
      // it must leave nothing behind, in the tables or in what the writer believes of them.
      fc.record({ failing: failedPoints }),
      // A batch whose COMMIT fails after all of it ran, the copy to telemetry_latest included.
      fc.record({ failsAtCommit: failedPoints }),
      fc.constant({ read: true as const }),
      fc.constant({ merge: 'due' as const }),
      fc.constant({ merge: 'one' as const }),
      fc.constant({ merge: 'restart' as const }),
      fc.constant({ merge: 'refresh' as const }),
    );
    const query = new TelemetryQuery(storage.db, null, true);
    failAtCommit();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), fc.boolean(), async (steps, everyBatch) => {
        db.exec(
          'delete from telemetry; delete from telemetry_inbox; delete from telemetry_latest; delete from telemetry_series',
        );
        slots = new SeriesSlots();
        const options = { ...(everyBatch ? EVERY_BATCH : SELDOM), mergeRows: 3, capRows: 8 };
        writer = new SqliteColumnWriter(db, options);
        const model = new Map<string, number>();
        const newest = () => {
          const points = new Map<string, { ts: number; value: number }>();
          for (const [k, v] of model) {
            const [device, key, ts] = k.split('/') as [string, string, string];
            const known = points.get(`${device}/${key}`);
            if (!known || Number(ts) > known.ts) points.set(`${device}/${key}`, { ts: Number(ts), value: v });
          }
          return points;
        };
        const readLatest = async () => {
          const read = new Map<string, { ts: number; value: unknown }>();
          for (const device of ['a', 'b', 'c'])
            for (const [key, point] of Object.entries(await query.latest(device, null)))
              read.set(`${device}/${key}`, point);
          return read;
        };
        let value = 0;
        for (const s of steps) {
          if ('batch' in s) {
            write(
              s.batch.map((p) => {
                value++;
                model.set(`${p.device}/${p.key}/${p.ts}`, value);
                return { deviceId: p.device, readings: [{ ts: p.ts, key: p.key, value }] };
              }),
            );
          } else if ('failing' in s) {
            const columns = toColumns(
              s.failing.map((p) => ({ deviceId: p.device, readings: [{ ts: p.ts, key: p.key, value: -1 }] })),
              slots,
            );
            writer.define(columns.defined);
            const n = columns.slot.length;
            const broken = withUnknownSlot(columns, 9_999);
            expect(n).toBeGreaterThan(0);
            expect(() => writer.write(broken)).toThrow(/slot 9999/);
          } else if ('failsAtCommit' in s) {
            const batch = s.failsAtCommit.map((p) => ({
              deviceId: p.device,
              readings: [{ ts: p.ts, key: p.key, value: FAILS_AT_COMMIT }],
            }));
            expect(() => write(batch)).toThrow(/FOREIGN KEY/);
          } else if ('read' in s) expect(await readLatest()).toEqual(newest());
          else if (s.merge === 'due') writer.inbox.mergeDue();
          else if (s.merge === 'one') writer.inbox.mergeOne();
          else if (s.merge === 'refresh') writer.inbox.refreshLatest(performance.now());
          else {
            slots = new SeriesSlots();
            writer = new SqliteColumnWriter(db, options);
          }
        }
        const stored = (rows() as { device_id: string; key: string; ts: number; num: number }[]).map(
          (r) => [`${r.device_id}/${r.key}/${r.ts}`, r.num] as const,
        );
        expect(new Map(stored).size).toBe(stored.length);
        expect(new Map(stored)).toEqual(model);
        // Latest: the value at each series' highest ts, read exactly at any moment, and in the table after merges.
        expect(await readLatest()).toEqual(newest());
        writer.inbox.mergeAll();
        const table = (latest() as { device_id: string; key: string; ts: number; num: number }[]).map(
          (r) => [`${r.device_id}/${r.key}`, { ts: r.ts, value: r.num }] as const,
        );
        expect(new Map(table)).toEqual(newest());
      }),
      { numRuns: 600 },
    );
  });
});
