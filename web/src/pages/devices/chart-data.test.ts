import { describe, expect, it } from 'vitest';
import { chartValue, historyQuery, mergeUpdate, seriesFromHistory } from './chart-data.js';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const x = (s: number) => Date.UTC(2026, 0, 1, 0, 0, s) / 1000;

describe('chart data', () => {
  it('charts numbers and booleans, not texts or objects', () => {
    expect(chartValue(21.5)).toBe(21.5);
    expect(chartValue(true)).toBe(1);
    expect(chartValue(false)).toBe(0);
    expect(chartValue('fault')).toBeNull();
    expect(chartValue({ a: 1 })).toBeNull();
    expect(chartValue(Number.NaN)).toBeNull();
  });

  it('builds one sorted series per chartable key from history', () => {
    const s = seriesFromHistory({
      temperature: [
        { ts: t(2), value: 21 },
        { ts: t(1), value: 20 },
      ],
      state: [{ ts: t(1), value: 'idle' }],
      running: [{ ts: t(1), value: true }],
    });
    expect(Object.keys(s).sort()).toEqual(['running', 'temperature']);
    expect(s.temperature).toEqual({ xs: [x(1), x(2)], ys: [20, 21] });
    expect(s.running).toEqual({ xs: [x(1)], ys: [1] });
  });

  it('appends live updates, adds new keys, and leaves untouched series as they were', () => {
    const history = seriesFromHistory({ temperature: [{ ts: t(1), value: 20 }], pressure: [{ ts: t(1), value: 1 }] });
    const next = mergeUpdate(history, { ts: t(5), values: { temperature: 22, humidity: 40, label: 'x' } });
    expect(next.temperature).toEqual({ xs: [x(1), x(5)], ys: [20, 22] });
    expect(next.humidity).toEqual({ xs: [x(5)], ys: [40] });
    expect(next.pressure).toBe(history.pressure);
    expect(history.temperature).toEqual({ xs: [x(1)], ys: [20] });
    expect(next).not.toHaveProperty('label');
  });

  it('inserts back-filled points in time order and replaces a value of the same instant', () => {
    let s = seriesFromHistory({
      v: [
        { ts: t(1), value: 1 },
        { ts: t(3), value: 3 },
      ],
    });
    s = mergeUpdate(s, { ts: t(2), values: { v: 2 } });
    s = mergeUpdate(s, { ts: t(3), values: { v: 30 } });
    s = mergeUpdate(s, { ts: t(0), values: { v: 0 } });
    expect(s.v).toEqual({ xs: [x(0), x(1), x(2), x(3)], ys: [0, 1, 2, 30] });
  });

  it('keeps at most maxPoints per series, dropping the oldest', () => {
    let s = {};
    for (let i = 0; i < 5; i++) s = mergeUpdate(s, { ts: t(i), values: { v: i } }, 3);
    expect(s).toEqual({ v: { xs: [x(2), x(3), x(4)], ys: [2, 3, 4] } });
  });

  it('an update with nothing chartable changes nothing', () => {
    const s = seriesFromHistory({ v: [{ ts: t(1), value: 1 }] });
    expect(mergeUpdate(s, { ts: t(2), values: { state: 'on' } })).toBe(s);
    expect(mergeUpdate(s, { ts: 'not a time', values: { v: 2 } })).toBe(s);
  });

  it('asks for raw points up to an hour and averaged buckets beyond', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    expect(historyQuery('1h', now)).toEqual({
      start: new Date(now - 3_600_000).toISOString(),
      end: new Date(now + 60_000).toISOString(),
      limit: 5000,
    });
    expect(historyQuery('24h', now)).toMatchObject({ agg: 'avg', interval: '144s' });
  });
});
