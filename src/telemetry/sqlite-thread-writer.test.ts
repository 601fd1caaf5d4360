import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStorage, type Storage } from '../storage/index.js';
import type { PointBatchItem } from './point-store.js';
import { SqliteThreadWriter, TelemetryWriteError } from './sqlite-thread-writer.js';

let dir: string;
let storage: Storage;
let db: SQLite.Database;
let writer: SqliteThreadWriter;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fl-thread-writer-'));
  storage = openStorage({ databaseUrl: null, dataDir: dir });
  await storage.migrate();
  db = storage.sqlite as SQLite.Database;
  writer = new SqliteThreadWriter(db.name);
  await writer.start();
});
afterEach(async () => {
  await writer.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const batch = (deviceId: string, ts: number, value: number): PointBatchItem[] => [
  { deviceId, readings: [{ ts, key: 't', value }] },
];
const stored = () =>
  db
    .prepare(
      // Committed points are in the inbox until merged into telemetry: both count.
      `select s.device_id, t.ts, t.num from (select series_id, ts, num from telemetry
         union all select series_id, ts, num from telemetry_inbox) t
       join telemetry_series s on s.id = t.series_id order by s.device_id, t.ts`,
    )
    .all();

describe('SqliteThreadWriter', () => {
  it('answers batches in the order they were sent, and commits them in that order', async () => {
    const answered: number[] = [];
    // Every batch writes the same point: only commits in sending order leave the last value.
    const writes = Array.from({ length: 20 }, (_, i) => writer.write(batch('d1', 1, i)).then(() => answered.push(i)));
    await Promise.all(writes);
    expect(answered).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(stored()).toEqual([{ device_id: 'd1', ts: 1, num: 19 }]);
  });

  it('resolves only once the batch is readable from another connection', async () => {
    await writer.write(batch('d1', 1, 42));
    expect(stored()).toEqual([{ device_id: 'd1', ts: 1, num: 42 }]);
  });

  it("rejects a batch whose transaction failed with the database's error, and commits the next", async () => {
    await writer.write(batch('d1', 1, 1));
    db.exec('alter table telemetry_inbox rename to telemetry_inbox_away');
    const failed = await writer.write(batch('d1', 2, 2)).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(TelemetryWriteError);
    expect((failed as Error).message).toMatch(/no such table: (main\.)?telemetry_inbox/);
    db.exec('alter table telemetry_inbox_away rename to telemetry_inbox');
    await writer.write(batch('d1', 3, 3));
    expect(stored()).toEqual([
      { device_id: 'd1', ts: 1, num: 1 },
      { device_id: 'd1', ts: 3, num: 3 },
    ]);
  });

  it('brings telemetry_latest (what Grafana reads) up to date when idle, before the inbox is all merged', async () => {
    const both = (value: number): PointBatchItem[] => [
      { deviceId: 'd1', readings: [{ ts: value, key: 'a', value }] },
      { deviceId: 'd1', readings: [{ ts: value, key: 'b', value }] },
    ];
    await writer.write(both(1));
    // Not copied by its batch (a second has not passed since the first batch's copy).
    await writer.write(both(2));
    const latest = () =>
      db.prepare('select series_id, num from telemetry_latest order by series_id').all() as { num: number }[];
    const inbox = () => (db.prepare('select count(*) as n from telemetry_inbox').get() as { n: number }).n;
    // Series 1 and 2 are in different inbox groups, and an idle tick merges one group: only the refresh brings
    // both latest values up while the other group's rows are still in the inbox.
    await vi.waitFor(
      () => {
        expect(latest().map((r) => r.num)).toEqual([2, 2]);
        expect(inbox()).toBeGreaterThan(0);
      },
      { timeout: 12_000, interval: 20 },
    );
  }, 15_000);

  it('writes what was sent before close() and refuses afterwards', async () => {
    const writes = [writer.write(batch('d1', 1, 1)), writer.write(batch('d2', 1, 2)), writer.write(batch('d3', 1, 3))];
    await writer.close();
    await Promise.all(writes);
    expect(stored()).toHaveLength(3);
    await expect(writer.write(batch('d4', 1, 4))).rejects.toThrow(/closed/);
  });

  it('rejects what a dead thread owed (never acknowledged), and the next batch starts a new thread', async () => {
    await writer.write(batch('d1', 1, 1));
    const thread = (writer as unknown as { thread: { worker: Worker } }).thread;
    // The thread dies of an error of its own (a message it cannot handle) with a batch queued behind it, which
    // it therefore never answers. Not worker.terminate() while the thread waits for the write lock: it waits by
    // retrying, and a thread terminated while better-sqlite3 builds a SQLITE_BUSY error aborts the whole process
    // (FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal).
    thread.worker.postMessage({ type: 'forget', slots: null });
    const owed = writer.write(batch('d1', 2, 2)).catch((err: unknown) => err);
    expect(await owed).toBeInstanceOf(Error);
    // The new thread knows no slots of the old one: the series is found again by device and key.
    await writer.write(batch('d1', 3, 3));
    const points = stored() as { ts: number }[];
    expect(points.map((p) => p.ts)).toContain(3);
    expect(points.map((p) => p.ts)).not.toContain(2);
    expect(db.prepare('select count(*) as n from telemetry_series').get()).toEqual({ n: 1 });
  });
});
