import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/index.js';
import { type PointBatchItem, type PointWriter, TelemetryQuery } from '../../src/telemetry/index.js';

/**
 * What ingest relies on from a telemetry writer, run against the SQLite writer thread (integration tier) and the
 * PostgreSQL writer (services tier): every value kind stored exactly, a resend inside or across batches kept
 * once with its last value, latest values that never move back, and a failed batch that stores nothing.
 */
export function pointWriterContract(
  name: string,
  open: () => Promise<{ storage: Storage; writer: PointWriter; cleanup: () => Promise<void> }>,
) {
  describe(`telemetry writer contract: ${name}`, () => {
    let storage: Storage;
    let writer: PointWriter;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ storage, writer, cleanup } = await open());
    });
    afterAll(async () => {
      await writer.close();
      await storage.close();
      await cleanup();
    });

    // Both tables a point can be in: the SQLite writer commits to the inbox and merges into telemetry later.
    const points = async (deviceId: string) =>
      (
        await storage.db
          .selectFrom((db) =>
            db
              .selectFrom('telemetry')
              .select(['series_id', 'ts', 'num', 'str', 'kind'])
              .unionAll(db.selectFrom('telemetry_inbox').select(['series_id', 'ts', 'num', 'str', 'kind']))
              .as('t'),
          )
          .innerJoin('telemetry_series as s', 's.id', 't.series_id')
          .select(['s.key', 't.ts', 't.num', 't.str', 't.kind'])
          .where('s.device_id', '=', deviceId)
          .orderBy('s.key')
          .orderBy('t.ts')
          .execute()
      ).map((r) => ({ ...r, ts: Number(r.ts), num: r.num === null ? null : Number(r.num), kind: Number(r.kind) }));
    // As the API reads them: on SQLite telemetry_latest trails the inbox by up to a second, the query does not.
    const latest = async (deviceId: string) =>
      Object.entries(
        await new TelemetryQuery(storage.db, null, storage.dialect === 'sqlite').latest(deviceId, null),
      ).map(([key, point]) => ({ key, ...point }));

    it('stores numbers, booleans, strings and JSON exactly, whatever characters the text holds', async () => {
      const awkward = 'a "quoted", {braced} \\ back\\slash; NULL ü ✓ \n';
      await writer.write([
        {
          deviceId: 'kinds',
          readings: [
            { ts: 1, key: 'n', value: 0.1 },
            { ts: 1, key: 'big', value: 2 ** 53 - 1 },
            { ts: 1, key: 'on', value: true },
            { ts: 1, key: 's', value: awkward },
            { ts: 1, key: 'empty', value: '' },
            { ts: 1, key: 'j', value: { say: awkward, list: [1, null] } },
          ],
        },
      ]);
      expect(await points('kinds')).toEqual([
        { key: 'big', ts: 1, num: 2 ** 53 - 1, str: null, kind: 0 },
        { key: 'empty', ts: 1, num: null, str: '', kind: 2 },
        { key: 'j', ts: 1, num: null, str: JSON.stringify({ say: awkward, list: [1, null] }), kind: 3 },
        { key: 'n', ts: 1, num: 0.1, str: null, kind: 0 },
        { key: 'on', ts: 1, num: 1, str: null, kind: 1 },
        { key: 's', ts: 1, num: null, str: awkward, kind: 2 },
      ]);
    });

    it('keeps one point per series and timestamp, with the last value, inside a batch and across batches', async () => {
      const resend = (value: number | string): PointBatchItem => ({
        deviceId: 'resend',
        readings: [{ ts: 10, key: 't', value }],
      });
      await writer.write([resend(1), resend(2), { deviceId: 'resend', readings: [{ ts: 9, key: 't', value: 0 }] }]);
      await writer.write([resend('three'), resend(4)]);
      expect(await points('resend')).toEqual([
        { key: 't', ts: 9, num: 0, str: null, kind: 0 },
        { key: 't', ts: 10, num: 4, str: null, kind: 0 },
      ]);
      expect(await latest('resend')).toEqual([{ key: 't', ts: 10, value: 4 }]);
    });

    it('keeps the newest point as latest, also when an older one arrives later', async () => {
      await writer.write([{ deviceId: 'late', readings: [{ ts: 50, key: 't', value: 'new' }] }]);
      await writer.write([{ deviceId: 'late', readings: [{ ts: 40, key: 't', value: 'old' }] }]);
      expect(await latest('late')).toEqual([{ key: 't', ts: 50, value: 'new' }]);
    });

    it('starts series afresh for a device whose telemetry was deleted', async () => {
      await writer.write([{ deviceId: 'gone', readings: [{ ts: 1, key: 't', value: 1 }] }]);
      const series = storage.db.selectFrom('telemetry_series').select('id').where('device_id', '=', 'gone');
      await storage.db.deleteFrom('telemetry').where('series_id', 'in', series).execute();
      await storage.db.deleteFrom('telemetry_inbox').where('series_id', 'in', series).execute();
      await storage.db.deleteFrom('telemetry_latest').where('series_id', 'in', series).execute();
      await storage.db.deleteFrom('telemetry_series').where('device_id', '=', 'gone').execute();
      writer.forgetDevice('gone');
      await writer.write([{ deviceId: 'gone', readings: [{ ts: 2, key: 't', value: 2 }] }]);
      expect(await points('gone')).toEqual([{ key: 't', ts: 2, num: 2, str: null, kind: 0 }]);
    });

    it('rejects a batch it could not commit and stores none of it', async () => {
      await writer.write([{ deviceId: 'fail', readings: [{ ts: 1, key: 't', value: 1 }] }]);
      await sql`alter table telemetry_latest rename to telemetry_latest_away`.execute(storage.db);
      try {
        const failed = writer.write([
          {
            deviceId: 'fail',
            readings: [
              { ts: 2, key: 't', value: 2 },
              { ts: 2, key: 'u', value: 3 },
            ],
          },
        ]);
        await expect(failed).rejects.toThrow(/telemetry_latest/);
      } finally {
        await sql`alter table telemetry_latest_away rename to telemetry_latest`.execute(storage.db);
      }
      expect(await points('fail')).toEqual([{ key: 't', ts: 1, num: 1, str: null, kind: 0 }]);
      await writer.write([{ deviceId: 'fail', readings: [{ ts: 3, key: 'u', value: 3 }] }]);
      expect((await points('fail')).map((p) => `${p.key}@${p.ts}`)).toEqual(['t@1', 'u@3']);
    });
  });
}
