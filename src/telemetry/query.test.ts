import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../storage/index.js';
import { SeriesSlots, toColumns } from './point-columns.js';
import type { PointBatchItem } from './point-store.js';
import { parseInterval, TelemetryQuery } from './query.js';
import { SqliteColumnWriter } from './sqlite-column-writer.js';

describe('parseInterval', () => {
  it('reads the units users write', () => {
    expect(parseInterval('60s')).toBe(60_000);
    expect(parseInterval('5m')).toBe(300_000);
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('1d')).toBe(86_400_000);
    expect(parseInterval('250ms')).toBe(250);
    expect(parseInterval('30')).toBe(30_000);
  });

  it('refuses what is not a positive duration', () => {
    for (const bad of ['', '0s', '-5m', '1w', 'soon', '1.5h']) expect(parseInterval(bad)).toBeNull();
  });
});

describe('TelemetryQuery over the inbox and telemetry', () => {
  let dir: string;
  let storage: Storage;
  let writer: SqliteColumnWriter;
  let query: TelemetryQuery;
  // Slots name series to the writer that defined them: a new writer per test needs new slots.
  let slots: SeriesSlots;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fl-query-'));
    storage = openStorage({ databaseUrl: null, dataDir: dir });
    await storage.migrate();
    writer = new SqliteColumnWriter(storage.sqlite as SQLite.Database);
    slots = new SeriesSlots();
    query = new TelemetryQuery(storage.db, null, true);
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (items: PointBatchItem[]) => {
    const columns = toColumns(items, slots);
    writer.define(columns.defined);
    writer.write(columns);
  };
  const all = { deviceId: 'd1', keys: null, start: 0, end: 1_000, limit: 1_000 };

  it('answers the same before, during and after the merges, with no point twice', async () => {
    // Many series, so that they fall into different inbox groups and the merges go one group at a time.
    const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (let ts = 0; ts < 10; ts++)
      write([{ deviceId: 'd1', readings: keys.map((key, i) => ({ ts: ts * 10, key, value: ts + i })) }]);
    // A resend of a point still in the inbox, and a string among the numbers.
    write([{ deviceId: 'd1', readings: [{ ts: 50, key: 'k00', value: 'five' }] }]);
    const reads = () =>
      Promise.all([
        query.range(all),
        query.range({ ...all, limit: 4 }),
        query.aggregate(all, 'avg', 30),
        query.aggregate({ ...all, limit: 2 }, 'count', 30),
        query.aggregate(all, 'sum', null),
      ]);
    const before = await reads();
    const [raw, newest, avg, lastBuckets, sum] = before;
    expect(raw.series.k00).toHaveLength(10);
    expect(raw.series.k00?.[5]).toEqual({ ts: 50, value: 'five' });
    expect(raw.truncated).toEqual([]);
    expect(newest.series.k01).toEqual([60, 70, 80, 90].map((ts) => ({ ts, value: ts / 10 + 1 })));
    expect(newest.truncated).toEqual(keys);
    expect(avg.series.k01?.[0]).toEqual({ ts: 0, value: 2 });
    expect(lastBuckets.series.k01).toEqual([
      { ts: 60, value: 3 },
      { ts: 90, value: 1 },
    ]);
    expect(sum.series.k01).toEqual([{ ts: 0, value: 55 }]);
    while (writer.inbox.mergeOne()) expect(await reads()).toEqual(before);
    expect(writer.inbox.size).toBe(0);
    expect(await reads()).toEqual(before);
  });

  it('limits each key on its own to its newest points and names the keys it cut', async () => {
    write([
      {
        deviceId: 'd1',
        readings: [
          ...['a', 'c'].flatMap((key) => [1, 2, 3, 4, 5].map((ts) => ({ ts, key, value: ts }))),
          ...[1, 2].map((ts) => ({ ts, key: 'b', value: ts })),
        ],
      },
    ]);
    // Some points merged into telemetry, the newer ones still in the inbox.
    writer.inbox.mergeOne();
    write([{ deviceId: 'd1', readings: [{ ts: 6, key: 'a', value: 6 }] }]);
    const points = (...ts: number[]) => ts.map((t) => ({ ts: t, value: t }));
    expect(await query.range({ ...all, limit: 3 })).toEqual({
      series: { a: points(4, 5, 6), b: points(1, 2), c: points(3, 4, 5) },
      truncated: ['a', 'c'],
    });
    expect(await query.range({ ...all, limit: 3, start: 2, end: 5 })).toEqual({
      series: { a: points(2, 3, 4), b: points(2), c: points(2, 3, 4) },
      truncated: [],
    });
    expect(Object.keys((await query.range({ ...all, keys: ['c'] })).series)).toEqual(['c']);
    expect(await query.range({ ...all, keys: [] })).toEqual({ series: {}, truncated: [] });
    expect(await query.aggregate({ ...all, limit: 1 }, 'max', 2)).toEqual({
      series: { a: points(6), b: [{ ts: 2, value: 2 }], c: [{ ts: 4, value: 5 }] },
      truncated: ['a', 'b', 'c'],
    });
  });

  it('aggregates over the whole range without interval, stamped at start', async () => {
    write([{ deviceId: 'd1', readings: [5, 15, 25, 60, 65].map((ts) => ({ ts, key: 'v', value: ts })) }]);
    write([{ deviceId: 'd1', readings: [{ ts: 30, key: 'mode', value: 'auto' }] }]);
    const range = { ...all, start: 5, end: 65 };
    expect(await query.aggregate(range, 'count', null)).toEqual({
      series: { v: [{ ts: 5, value: 4 }] },
      truncated: [],
    });
    expect((await query.aggregate(range, 'avg', null)).series).toEqual({ v: [{ ts: 5, value: 26.25 }] });
    expect((await query.aggregate({ ...range, start: 100, end: 200 }, 'count', null)).series).toEqual({});
  });

  it('refuses an answer with more points in all than maxTotal, and answers one that fits', async () => {
    write([
      { deviceId: 'd1', readings: ['a', 'b', 'c'].flatMap((key) => [1, 2].map((ts) => ({ ts, key, value: ts }))) },
    ]);
    await expect(query.range({ ...all, maxTotal: 5 })).rejects.toThrow(/more than 5 points/);
    expect(Object.keys((await query.range({ ...all, maxTotal: 6 })).series)).toEqual(['a', 'b', 'c']);
    expect((await query.range({ ...all, limit: 1, maxTotal: 3 })).truncated).toEqual(['a', 'b', 'c']);
  });
});
