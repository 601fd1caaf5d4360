import type { PointBatchItem } from './point-store.js';
import { ValueKind } from './values.js';

/** A series the SQLite writer thread has not been told about yet: its slot, device and key. */
export interface SeriesDefinition {
  slot: number;
  deviceId: string;
  key: string;
}

/**
 * A batch of points as columns — the form that crosses to the SQLite writer thread. The typed arrays' buffers
 * are transferred, not copied, so a batch of thousands of points costs a handful of objects to send instead of
 * a structured clone of one object per point. Row i is (slot[i], ts[i], value, kind[i]); the value is num[i]
 * for numbers and booleans, and the next entry of `str` (in row order) for strings and JSON.
 */
export interface PointColumns {
  /** Slots first used by this batch, defined before its rows are written. */
  defined: SeriesDefinition[];
  slot: Int32Array;
  ts: Float64Array;
  num: Float64Array;
  kind: Uint8Array;
  str: string[];
}

/**
 * Small integers naming (device, key) series, given out on the main thread so a row names its series with one
 * number; the writer thread maps slots to database ids. Slots are never reused: a deleted device's slots are
 * dropped on both sides, and its keys get new slots if the id comes back.
 */
export class SeriesSlots {
  private readonly byDevice = new Map<string, Map<string, number>>();
  private next = 0;

  /** The slot of a series; a new one is appended to `defined`. */
  slotOf(deviceId: string, key: string, defined: SeriesDefinition[]): number {
    let keys = this.byDevice.get(deviceId);
    if (keys === undefined) {
      keys = new Map();
      this.byDevice.set(deviceId, keys);
    }
    let slot = keys.get(key);
    if (slot === undefined) {
      slot = this.next++;
      keys.set(key, slot);
      defined.push({ slot, deviceId, key });
    }
    return slot;
  }

  /** Drops a device's slots and answers them, for the writer thread to drop too. */
  forgetDevice(deviceId: string): number[] {
    const keys = this.byDevice.get(deviceId);
    this.byDevice.delete(deviceId);
    return keys ? [...keys.values()] : [];
  }
}

/** Lays out the points of a batch as columns, in arrival order (per device, the order its messages came in). */
export function toColumns(items: PointBatchItem[], slots: SeriesSlots): PointColumns {
  let rows = 0;
  for (const item of items) rows += item.readings.length;
  const columns: PointColumns = {
    defined: [],
    slot: new Int32Array(rows),
    ts: new Float64Array(rows),
    num: new Float64Array(rows),
    kind: new Uint8Array(rows),
    str: [],
  };
  let row = 0;
  for (const item of items) {
    for (const r of item.readings) {
      columns.slot[row] = slots.slotOf(item.deviceId, r.key, columns.defined);
      columns.ts[row] = r.ts;
      const value = r.value;
      switch (typeof value) {
        case 'number':
          columns.num[row] = value;
          columns.kind[row] = ValueKind.Number;
          break;
        case 'boolean':
          // Booleans keep a numeric twin so avg() over them is a duty cycle (see values.ts).
          columns.num[row] = value ? 1 : 0;
          columns.kind[row] = ValueKind.Boolean;
          break;
        case 'string':
          columns.str.push(value);
          columns.kind[row] = ValueKind.String;
          break;
        default:
          columns.str.push(JSON.stringify(value));
          columns.kind[row] = ValueKind.Json;
      }
      row++;
    }
  }
  return columns;
}

/** The buffers to transfer with a batch (they are unusable on this side afterwards). */
export const transferList = (c: PointColumns): ArrayBuffer[] => [
  c.slot.buffer as ArrayBuffer,
  c.ts.buffer as ArrayBuffer,
  c.num.buffer as ArrayBuffer,
  c.kind.buffer as ArrayBuffer,
];
