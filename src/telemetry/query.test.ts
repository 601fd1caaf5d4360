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
  const slots = new SeriesSlots();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fl-query-'));
    storage = openStorage({ databaseUrl: null, dataDir: dir });
    await storage.migrate();
    writer = new SqliteColumnWriter(storage.sqlite as SQLite.Database);
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
    const raw = await query.range(all);
    const avg = await query.aggregate(all, 'avg', 30);
    expect(raw.k00).toHaveLength(10);
    expect(raw.k00?.[5]).toEqual({ ts: 50, value: 'five' });
    expect(avg.k01?.[0]).toEqual({ ts: 0, value: 2 });
    while (writer.inbox.mergeOne()) {
      expect(await query.range(all)).toEqual(raw);
      expect(await query.aggregate(all, 'avg', 30)).toEqual(avg);
    }
    expect(writer.inbox.size).toBe(0);
    expect(await query.range(all)).toEqual(raw);
    // Everything merged: the one-statement form PostgreSQL uses answers the same.
    const telemetryOnly = new TelemetryQuery(storage.db, null, false);
    expect(await telemetryOnly.range(all)).toEqual(raw);
    expect(await telemetryOnly.aggregate(all, 'avg', 30)).toEqual(avg);
    expect(await telemetryOnly.range({ ...all, limit: 15, keys: ['k03', 'k01'] })).toEqual(
      await query.range({ ...all, limit: 15, keys: ['k03', 'k01'] }),
    );
  });

  it('keeps the limit across keys in key order, and reads only the keys asked for', async () => {
    write([
      { deviceId: 'd1', readings: ['a', 'b', 'c'].flatMap((key) => [1, 2].map((ts) => ({ ts, key, value: ts }))) },
    ]);
    writer.inbox.mergeOne();
    expect(await query.range({ ...all, limit: 3 })).toEqual({
      a: [
        { ts: 1, value: 1 },
        { ts: 2, value: 2 },
      ],
      b: [{ ts: 1, value: 1 }],
    });
    expect(Object.keys(await query.range({ ...all, keys: ['c'] }))).toEqual(['c']);
    expect(await query.range({ ...all, keys: [] })).toEqual({});
  });
});
