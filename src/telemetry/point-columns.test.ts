import { describe, expect, it } from 'vitest';
import { SeriesSlots, toColumns, transferList } from './point-columns.js';
import { ValueKind } from './values.js';

describe('toColumns', () => {
  it('lays out a batch row by row in arrival order, strings and JSON in their own list', () => {
    const slots = new SeriesSlots();
    const c = toColumns(
      [
        {
          deviceId: 'd1',
          readings: [
            { ts: 1, key: 't', value: 21.5 },
            { ts: 1, key: 'on', value: true },
          ],
        },
        {
          deviceId: 'd2',
          readings: [
            { ts: 2, key: 't', value: 'warm' },
            { ts: 3, key: 'cfg', value: { a: [1, 2] } },
            { ts: 4, key: 'off', value: false },
          ],
        },
      ],
      slots,
    );
    expect([...c.slot]).toEqual([0, 1, 2, 3, 4]);
    expect([...c.ts]).toEqual([1, 1, 2, 3, 4]);
    expect([...c.kind]).toEqual([
      ValueKind.Number,
      ValueKind.Boolean,
      ValueKind.String,
      ValueKind.Json,
      ValueKind.Boolean,
    ]);
    expect(c.num[0]).toBe(21.5);
    expect(c.num[1]).toBe(1);
    expect(c.num[4]).toBe(0);
    expect(c.str).toEqual(['warm', '{"a":[1,2]}']);
    expect(c.defined).toEqual([
      { slot: 0, deviceId: 'd1', key: 't' },
      { slot: 1, deviceId: 'd1', key: 'on' },
      { slot: 2, deviceId: 'd2', key: 't' },
      { slot: 3, deviceId: 'd2', key: 'cfg' },
      { slot: 4, deviceId: 'd2', key: 'off' },
    ]);
    expect(transferList(c)).toHaveLength(4);
  });

  it('defines a series once: later batches name it by its slot alone', () => {
    const slots = new SeriesSlots();
    toColumns([{ deviceId: 'd1', readings: [{ ts: 1, key: 't', value: 1 }] }], slots);
    const next = toColumns(
      [
        {
          deviceId: 'd1',
          readings: [
            { ts: 2, key: 't', value: 2 },
            { ts: 2, key: 'p', value: 3 },
          ],
        },
      ],
      slots,
    );
    expect([...next.slot]).toEqual([0, 1]);
    expect(next.defined).toEqual([{ slot: 1, deviceId: 'd1', key: 'p' }]);
  });
});

describe('SeriesSlots', () => {
  it("forgets a device's slots and never gives them out again", () => {
    const slots = new SeriesSlots();
    const defined: { slot: number; deviceId: string; key: string }[] = [];
    slots.slotOf('d1', 'a', defined);
    slots.slotOf('d1', 'b', defined);
    slots.slotOf('d2', 'a', defined);
    expect(slots.forgetDevice('d1')).toEqual([0, 1]);
    expect(slots.forgetDevice('d1')).toEqual([]);
    expect(slots.slotOf('d1', 'a', defined)).toBe(3);
    expect(slots.slotOf('d2', 'a', defined)).toBe(2);
  });
});
